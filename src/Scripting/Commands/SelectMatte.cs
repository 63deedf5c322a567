using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug select --matte</c>: the selection's soft edges as an alpha matte, and the cut-out from it.</summary>
public static class SelectMatte
{
    /// <summary>
    /// Mattes <paramref name="selection"/>, writes the alpha as an 8-bit PNG to <paramref name="maskPath"/> and the cut-out (if asked);
    /// returns a note for the summary line. A selection from a box alone is first limited to the box's salient object
    /// when <paramref name="subject"/> is given (<see cref="SelectionMatting.FromBox"/>).
    /// </summary>
    public static string Save(BgraImage image, LogitMap modelLogits, Mask selection, string maskPath, string? cutoutPath, CancellationToken ct,
        BoxXyxy? box = null, SubjectSelector? subject = null)
    {
        var sw = Stopwatch.StartNew();
        var matte = box is { } b && subject is not null
            ? SelectionMatting.FromBox(image, modelLogits, selection, b, subject, cancellationToken: ct)
            : SelectionMatting.FromSelection(image, modelLogits, selection, cancellationToken: ct);
        double ms = sw.Elapsed.TotalMilliseconds;
        ImageIO.SaveGrayPng(matte.Alpha.Data, image.Width, image.Height, maskPath);
        if (cutoutPath is not null) ImageIO.SavePng(matte.CutOut(), cutoutPath);
        return string.Create(CultureInfo.InvariantCulture, $", matte {ms:0} ms");
    }
}
