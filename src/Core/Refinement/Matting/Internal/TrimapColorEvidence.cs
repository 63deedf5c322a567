using System.Runtime.InteropServices;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Internal;

namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// The colour rule of <see cref="SelectionTrimap"/>: near the edge, inside the selection, a pixel's label follows its
/// colour rather than the selection. A colour mixture of the selection's sure inside and one of a ring just outside it
/// (GrabCut's mixtures, <see cref="ColorMixture"/>) compare each pixel: clearly background colours become known
/// background (the curtain between branches, the sky between strands of hair), clearly foreground colours stay known
/// foreground, and colours in between become unknown, so the matte resolves see-through parts that the selection
/// filled.
/// </summary>
internal static class TrimapColorEvidence
{
    /// <summary>Most samples per mixture (taken at an even stride beyond it), so a 12 MP selection fits as fast as a small one.</summary>
    internal const int MaxSamples = 1 << 20;

    /// <summary>Fewest samples per side, per component, for the mixtures to be fitted at all.</summary>
    internal const int MinSamplesPerComponent = 20;

    /// <param name="image">The photo.</param>
    /// <param name="selection">The selection the trimap is made from.</param>
    /// <param name="sure">The selection shrunk by the band (the foreground samples).</param>
    /// <param name="reach">The selection grown by the band (background samples lie outside it).</param>
    /// <param name="ringRadius">Background samples lie within this many pixels of the selection.</param>
    /// <param name="zoneRadius">The rule relabels pixels of the selection within this many pixels of its edge.</param>
    /// <param name="components">Components per mixture.</param>
    /// <param name="margin">Least difference of log-likelihoods for a pixel to be known background or foreground.</param>
    /// <param name="minSeparation">Least share of each side's own samples that the mixtures must call clearly theirs.</param>
    /// <param name="guard">The subject map (0..1, image size) or null: where it is at least <paramref name="guardMin"/>, background colours become unknown, not known background.</param>
    /// <param name="guardMin">See <paramref name="guard"/>.</param>
    /// <param name="trimap">The trimap so far (row-major, image size); relabelled in place.</param>
    /// <returns>False when a side had too few samples to fit, or the colours do not separate the sides (the trimap is unchanged).</returns>
    public static bool Apply(BgraImage image, Mask selection, Mask sure, Mask reach, int ringRadius, int zoneRadius, int components,
        float margin, double minSeparation, float[]? guard, float guardMin, byte[] trimap)
    {
        int w = image.Width, h = image.Height;
        if (FitSides(image, selection, sure, reach, ringRadius, components, margin, minSeparation) is not var (fg, bg)) return false;
        var core = selection.Shrink(zoneRadius);
        var sel = selection.Data;
        var inCore = core.Data;
        var fgLog = new double[w];
        var bgLog = new double[w];
        var comp = new byte[w];
        for (int y = 0; y < h; y++)
        {
            int o = y * w;
            int first = -1, last = -1;
            for (int x = 0; x < w; x++)
                if (sel[o + x] != 0 && inCore[o + x] == 0 && trimap[o + x] == Trimap.Foreground) { if (first < 0) first = x; last = x; }
            if (first < 0) continue;
            int len = last - first + 1;
            var colors = MemoryMarshal.Cast<byte, uint>(image.Row(y)).Slice(first, len);
            fg.BestLogs(colors, fgLog, comp);
            bg.BestLogs(colors, bgLog, comp);
            for (int j = 0; j < len; j++)
            {
                int i = o + first + j;
                if (sel[i] == 0 || inCore[i] != 0 || trimap[i] != Trimap.Foreground) continue;
                double d = bgLog[j] - fgLog[j];
                trimap[i] = d > margin ? (guard is not null && guard[i] >= guardMin ? Trimap.Unknown : Trimap.Background)
                    : d < -margin ? Trimap.Foreground : Trimap.Unknown;
            }
        }
        return true;
    }

    /// <summary>
    /// The foreground mixture (fitted to <paramref name="sure"/>) and the background one (to the ring of
    /// <paramref name="ringRadius"/> around <paramref name="selection"/>, outside <paramref name="reach"/>); null when a side
    /// has too few samples or the two do not separate their own samples (<paramref name="minSeparation"/>).
    /// </summary>
    internal static (ColorMixture Foreground, ColorMixture Background)? FitSides(BgraImage image, Mask selection, Mask sure, Mask reach,
        int ringRadius, int components, float margin, double minSeparation)
    {
        var outer = selection.Grow(ringRadius);
        var fg = new ColorMixture(components);
        var bg = new ColorMixture(components);
        var fgSamples = Fit(image, sure.Data, null, fg, components);
        var bgSamples = fgSamples is null ? null : Fit(image, outer.Data, reach.Data, bg, components);
        if (fgSamples is null || bgSamples is null) return null;
        if (ClearShare(fgSamples, fg, bg, margin) < minSeparation || ClearShare(bgSamples, bg, fg, margin) < minSeparation) return null;
        return (fg, bg);
    }

    /// <summary>The share of <paramref name="samples"/> whose log-likelihood under <paramref name="own"/> exceeds <paramref name="other"/>'s by more than <paramref name="margin"/>.</summary>
    internal static double ClearShare(uint[] samples, ColorMixture own, ColorMixture other, float margin)
    {
        const int Chunk = 4096;
        var a = new double[Chunk];
        var b = new double[Chunk];
        var comp = new byte[Chunk];
        long clear = 0;
        for (int start = 0; start < samples.Length; start += Chunk)
        {
            var part = samples.AsSpan(start, Math.Min(Chunk, samples.Length - start));
            own.BestLogs(part, a, comp);
            other.BestLogs(part, b, comp);
            for (int j = 0; j < part.Length; j++) if (a[j] - b[j] > margin) clear++;
        }
        return samples.Length == 0 ? 0 : (double)clear / samples.Length;
    }

    /// <summary>
    /// Fits <paramref name="mixture"/> to the pixels set in <paramref name="take"/> and not set in <paramref name="except"/>;
    /// returns the samples (null when there are too few to fit).
    /// </summary>
    private static uint[]? Fit(BgraImage image, byte[] take, byte[]? except, ColorMixture mixture, int components)
    {
        long count = 0;
        for (int i = 0; i < take.Length; i++) if (take[i] != 0 && (except is null || except[i] == 0)) count++;
        if (count < (long)MinSamplesPerComponent * components) return null;
        long stride = (count + MaxSamples - 1) / MaxSamples;
        var samples = new uint[(int)((count + stride - 1) / stride)];
        int w = image.Width, k = 0;
        long seen = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var row = MemoryMarshal.Cast<byte, uint>(image.Row(y));
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                if (take[i] == 0 || (except is not null && except[i] != 0)) continue;
                if (seen++ % stride == 0) samples[k++] = row[x] & 0xFFFFFFu;
            }
        }
        var assignment = new byte[k];
        ColorMixture.InitialAssignment(samples.AsSpan(0, k), assignment, components);
        mixture.BeginFit();
        for (int j = 0; j < k; j++) mixture.Add(samples[j], assignment[j]);
        mixture.EndFit();
        return k == samples.Length ? samples : samples[..k];
    }
}
