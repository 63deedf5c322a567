using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>Soft edges for a selection in one call: a trimap made from it (<see cref="SelectionTrimap"/>), then the matte (<see cref="MatteSolver"/>).</summary>
public static class SelectionMatting
{
    /// <param name="image">The photo.</param>
    /// <param name="modelLogits">The model's full-resolution logits for the selection (object where &gt; 0).</param>
    /// <param name="selection">The selection the user sees (usually the colour-refined mask).</param>
    /// <param name="trimapOptions">How the trimap is made (null: defaults).</param>
    /// <param name="matteOptions">How the matte is solved (null: defaults).</param>
    /// <param name="cancellationToken">Stops the solve.</param>
    public static Matte FromSelection(BgraImage image, LogitMap modelLogits, Mask selection, SelectionTrimapOptions? trimapOptions = null,
        MatteOptions? matteOptions = null, CancellationToken cancellationToken = default)
    {
        var trimap = SelectionTrimap.Build(image, modelLogits, selection, trimapOptions);
        return FromTrimap(image, trimap, selection, matteOptions, cancellationToken);
    }

    /// <summary>The matte of <paramref name="trimap"/>, or <paramref name="selection"/> itself when the trimap has no unknown pixel.</summary>
    internal static Matte FromTrimap(BgraImage image, Trimap trimap, Mask selection, MatteOptions? matteOptions, CancellationToken cancellationToken)
    {
        // Nothing selected or everything selected: no edge to matte; the selection is the answer.
        if (trimap.Data.AsSpan().IndexOf(Trimap.Unknown) < 0)
            return new Matte(SoftMask.FromMask(selection), Opaque(image));
        return MatteSolver.Solve(image, trimap, matteOptions, cancellationToken);
    }

    /// <summary>
    /// Soft edges for a selection made from a box: as <see cref="FromSelection(BgraImage, LogitMap, Mask, SelectionTrimapOptions?, MatteOptions?, CancellationToken)"/>
    /// on the selection limited to the box's salient object (<see cref="BoxRegionPrior"/>) when <paramref name="subject"/>
    /// is given, with the same map guarding the trimap's colour rule (<see cref="SelectionTrimapOptions.SubjectGuard"/>);
    /// without it, the selection as it is.
    /// </summary>
    /// <param name="image">The photo.</param>
    /// <param name="modelLogits">The model's full-resolution logits for the selection (object where &gt; 0).</param>
    /// <param name="selection">The selection the user sees (usually the colour-refined mask).</param>
    /// <param name="box">The box the selection was made from, in source pixels.</param>
    /// <param name="subject">The salient-object model (u2netp), or null to matte the selection as it is.</param>
    /// <param name="trimapOptions">How the trimap is made (null: defaults).</param>
    /// <param name="matteOptions">How the matte is solved (null: defaults).</param>
    /// <param name="priorOptions">How the box's salient object limits the region (null: defaults).</param>
    /// <param name="cancellationToken">Stops the solve.</param>
    public static Matte FromBox(BgraImage image, LogitMap modelLogits, Mask selection, BoxXyxy box, SubjectSelector? subject,
        SelectionTrimapOptions? trimapOptions = null, MatteOptions? matteOptions = null, BoxRegionPriorOptions? priorOptions = null,
        CancellationToken cancellationToken = default)
    {
        var (trimap, region) = BoxTrimap(image, modelLogits, selection, box, subject, trimapOptions, priorOptions, cancellationToken);
        return FromTrimap(image, trimap, region, matteOptions, cancellationToken);
    }

    /// <summary>
    /// The trimap of <see cref="FromBox"/> and the region it was made from: with <paramref name="subject"/>, the selection
    /// limited to the box crop's salient object (<see cref="BoxRegionPrior.Apply"/>), the same map guarding the trimap's
    /// colour rule; without it, the selection's own trimap.
    /// </summary>
    internal static (Trimap Trimap, Mask Region) BoxTrimap(BgraImage image, LogitMap modelLogits, Mask selection, BoxXyxy box,
        SubjectSelector? subject, SelectionTrimapOptions? trimapOptions, BoxRegionPriorOptions? priorOptions, CancellationToken cancellationToken)
    {
        if (subject is null) return (SelectionTrimap.Build(image, modelLogits, selection, trimapOptions), selection);
        var o = priorOptions ?? BoxRegionPriorOptions.Default;
        o.Validate();
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        var saliency = subject.SaliencyInBox(image, box, o.Margin, cancellationToken);
        var region = BoxRegionPrior.Apply(selection, saliency, o);
        return (SelectionTrimap.Build(image, modelLogits, region, trimapOptions, saliency), region);
    }

    /// <summary>
    /// Soft edges for a finished selection that has no model answer of its own (objects combined, grown or shrunk, a
    /// mask loaded from a file): as <see cref="FromSelection(BgraImage, LogitMap, Mask, SelectionTrimapOptions?, MatteOptions?, CancellationToken)"/>
    /// with confident logits that agree with the selection (+8 inside, -8 outside), so the trimap is the band around its edge.
    /// </summary>
    public static Matte FromMask(BgraImage image, Mask selection, SelectionTrimapOptions? trimapOptions = null,
        MatteOptions? matteOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        return FromSelection(image, ConfidentLogits(selection), selection, trimapOptions, matteOptions, cancellationToken);
    }

    /// <summary>Logits of +8 where <paramref name="selection"/> is set and -8 elsewhere.</summary>
    internal static LogitMap ConfidentLogits(Mask selection)
    {
        var logits = new LogitMap(selection.Width, selection.Height);
        var src = selection.Data;
        var dst = logits.Data;
        for (int i = 0; i < src.Length; i++) dst[i] = src[i] != 0 ? 8f : -8f;
        return logits;
    }

    private static BgraImage Opaque(BgraImage image)
    {
        var copy = image.Clone();
        for (int y = 0; y < copy.Height; y++)
        {
            var row = copy.Row(y);
            for (int x = 3; x < row.Length; x += 4) row[x] = 255;
        }
        return copy;
    }
}
