using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Effects.MagicSelect;

/// <summary>A colour in straight-alpha BGRA order, as hosts hand over primary and secondary colours.</summary>
public readonly record struct Bgra32(byte B, byte G, byte R, byte A = 255)
{
    public static Bgra32 Black { get; } = new(0, 0, 0);
    public static Bgra32 White { get; } = new(255, 255, 255);
}

/// <summary>
/// What the host gives the effect: the source pixels, the active selection and the colours.
/// <see cref="Selection"/> is the selection as a hard mask at the image size (null: every pixel inside
/// <see cref="SelectionBounds"/> is selected); hosts with anti-aliased selections pass alpha &gt; 0 as selected and
/// blend the edge themselves. <see cref="SelectionBounds"/> is the selection's bounding rectangle; with nothing
/// selected hosts pass the whole image.
/// </summary>
public sealed class MagicSelectInput
{
    public MagicSelectInput(BgraImage source, PixelRect selectionBounds, Mask? selection = null, Bgra32? primary = null, Bgra32? secondary = null)
    {
        Source = source ?? throw new SegArgumentException("source", "is null");
        selectionBounds.CheckInside(source.Width, source.Height, "selection bounds");
        if (selection is not null && (selection.Width != source.Width || selection.Height != source.Height))
            throw new SegArgumentException("selection", $"mask is {selection.Width}x{selection.Height} but the image is {source.Width}x{source.Height}; they must be the same size");
        SelectionBounds = selectionBounds;
        Selection = selection;
        Primary = primary ?? Bgra32.Black;
        Secondary = secondary ?? Bgra32.White;
    }

    /// <summary>The whole image selected.</summary>
    public static MagicSelectInput WholeImage(BgraImage source, Bgra32? primary = null, Bgra32? secondary = null) =>
        new(source, new PixelRect(0, 0, source.Width, source.Height), null, primary, secondary);

    /// <summary>
    /// Builds the input from a host selection given as pixel rectangles ("scans", e.g. Paint.NET's RenderScans) with
    /// their bounding rectangle. When the scans fill the whole image no mask is kept.
    /// </summary>
    public static MagicSelectInput FromScans(BgraImage source, PixelRect bounds, IEnumerable<PixelRect> scans, Bgra32? primary = null, Bgra32? secondary = null)
    {
        if (source is null) throw new SegArgumentException("source", "is null");
        ArgumentNullException.ThrowIfNull(scans);
        var mask = new Mask(source.Width, source.Height);
        foreach (var scan in scans)
        {
            if (scan.IsEmpty) continue;
            scan.CheckInside(source.Width, source.Height, "selection scan");
            for (int y = scan.Y; y < scan.Bottom; y++) mask.Row(y).Slice(scan.X, scan.Width).Fill(Mask.On);
        }
        bool whole = bounds == new PixelRect(0, 0, source.Width, source.Height) && mask.Data.AsSpan().IndexOf((byte)0) < 0;
        return new MagicSelectInput(source, bounds, whole ? null : mask, primary, secondary);
    }

    public BgraImage Source { get; }
    public PixelRect SelectionBounds { get; }
    public Mask? Selection { get; }
    public Bgra32 Primary { get; }
    public Bgra32 Secondary { get; }

    /// <summary>True when the selection bounds cover the whole image (nothing is selected in editors that say so).</summary>
    public bool BoundsCoverImage => SelectionBounds == new PixelRect(0, 0, Source.Width, Source.Height);
}
