using System.Diagnostics;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting.Internal;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>What a solve cost: unknown pixels at full resolution, CG iterations per level (finest first), and times.</summary>
public sealed record MatteStats(long UnknownPixels, IReadOnlyList<int> Iterations, double AlphaMs, double ForegroundMs);

/// <summary>
/// Alpha mattes from an image and a trimap by closed-form matting (Levin, Lischinski, Weiss 2008): the matting
/// Laplacian's rows of the unknown pixels, solved with the known pixels fixed, by conjugate gradients started from the
/// same problem solved at half resolution (recursively while the band is wide). Foreground colours follow by
/// multi-level foreground estimation (Germer et al. 2020).
/// </summary>
public static class MatteSolver
{
    /// <summary>Alpha and foreground colours of <paramref name="image"/> under <paramref name="trimap"/>.</summary>
    public static Matte Solve(BgraImage image, Trimap trimap, MatteOptions? options = null, CancellationToken cancellationToken = default) =>
        Solve(image, trimap, out _, options, cancellationToken);

    /// <inheritdoc cref="Solve(BgraImage, Trimap, MatteOptions?, CancellationToken)"/>
    public static Matte Solve(BgraImage image, Trimap trimap, out MatteStats stats, MatteOptions? options = null, CancellationToken cancellationToken = default) =>
        Solve(image, trimap, out stats, null, options, cancellationToken);

    internal static Matte Solve(BgraImage image, Trimap trimap, out MatteStats stats, MattePhases? phases, MatteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var o = options ?? MatteOptions.Default;
        // The pyramid's planar colours (12 bytes per pixel) are not kept for the foreground: it reads the image tile by tile.
        var (_, alpha, iterations, alphaMs) = SolveAlphaCore(image, trimap, o, cancellationToken, phases);
        var sw = Stopwatch.StartNew();
        var soft = SoftMask.FromFloats(image.Width, image.Height, alpha);
        var fg = o.EstimateForeground ? ForegroundImage(image, alpha, soft, o, cancellationToken) : image.Clone();
        if (!o.EstimateForeground) SetOpaque(fg);
        phases?.Mark("foreground");
        stats = new MatteStats(iterations.Count == 0 ? 0 : CountUnknown(trimap), iterations, alphaMs, sw.Elapsed.TotalMilliseconds);
        return new Matte(soft, fg);
    }

    /// <summary>Alpha only, 0..1 per pixel (row-major), without the foreground colours.</summary>
    public static float[] SolveAlpha(BgraImage image, Trimap trimap, MatteOptions? options = null, CancellationToken cancellationToken = default) =>
        SolveAlphaCore(image, trimap, options ?? MatteOptions.Default, cancellationToken).Alpha;

    private static (MatteLevel Level, float[] Alpha, List<int> Iterations, double Ms) SolveAlphaCore(BgraImage image, Trimap trimap, MatteOptions o, CancellationToken ct, MattePhases? phases = null)
    {
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        if (trimap is null) throw new SegArgumentException(nameof(trimap), "is null");
        o.Validate();
        if (trimap.Width != image.Width || trimap.Height != image.Height)
            throw new SegArgumentException("trimap", $"is {trimap.Width}x{trimap.Height} but the image is {image.Width}x{image.Height}; they must be the same size");
        if (image.Width < 3 || image.Height < 3)
            throw new SegArgumentException("image", $"is {image.Width}x{image.Height}; matting needs at least 3x3 pixels (one 3x3 window)");
        var data = trimap.Data;
        if (data.AsSpan().IndexOfAnyExcept(Trimap.Unknown) < 0)
            throw new SegArgumentException("trimap", "is unknown (128) everywhere; mark some foreground (255) or background (0) so the matte is determined");

        var sw = Stopwatch.StartNew();
        phases?.Mark("checks");
        var level = MatteLevel.OverImage(image, data);
        phases?.Mark("level 0 colours");
        var iterations = new List<int>();
        var alpha = SolveLevel(level, o, 0, iterations, ct, phases);
        return (level, alpha, iterations, sw.Elapsed.TotalMilliseconds);
    }

    private static float[] SolveLevel(MatteLevel level, MatteOptions o, int depth, List<int> iterations, CancellationToken ct, MattePhases? phases)
    {
        int unknown = 0;
        foreach (byte t in level.Trimap) if (t == Trimap.Unknown) unknown++;
        if (unknown == 0) return level.FlatStart();
        float[] start;
        if (unknown >= o.CoarseToFineMinUnknown && Math.Min(level.Width, level.Height) >= 8)
        {
            var half = level.Half();
            phases?.Mark($"level {depth + 1} colours");
            bool anyKnown = half.Trimap.AsSpan().IndexOfAnyExcept(Trimap.Unknown) >= 0;
            var coarse = anyKnown ? SolveLevel(half, o, depth + 1, iterations, ct, phases) : null;
            start = coarse is null ? level.FlatStart() : level.StartFrom(coarse, half.Width, half.Height);
            if (coarse is not null && o.SettleSaturated && depth < o.SettleLevels)
            {
                // Where the coarse answer is saturated all around, alpha is no longer unknown: the level's band shrinks
                // to where it is fractional (the stencil and CG cost follow the band).
                var narrowed = SaturatedPixels.Settle(level.Trimap, start, level.Width, level.Height,
                    (float)o.SaturationMargin, o.SaturationRadius, out int settled);
                phases?.Mark($"level {depth} settled ({settled} of {unknown})");
                if (settled == unknown) { iterations.Insert(0, 0); return start; }
                if (settled > 0) level = level.WithTrimap(narrowed);
            }
        }
        else start = level.FlatStart();
        ct.ThrowIfCancellationRequested();
        phases?.Mark($"level {depth} start");
        var system = MattingLaplacian.Build(level, o.Epsilon, ct);
        phases?.Mark($"level {depth} stencil ({system.Count} unknowns)");
        // Coarse levels carry the smooth part of the answer, which Jacobi-preconditioned CG is slowest to find; they are
        // 4x smaller per level, so each is solved 3.3x tighter with twice the iterations (factor 0.3 per level: matting-dev
        // SAD 4.96; 0.1: 5.05 with more iterations; none: 4.87, but a 40 px smooth ramp then stopped far from its answer).
        int max = (int)Math.Min(100_000L, (long)o.MaxIterations << Math.Min(depth, 6));
        iterations.Insert(0, system.Solve(start, o.Tolerance * Math.Pow(0.3, depth), max, ct));
        phases?.Mark($"level {depth} CG ({iterations[0]} iterations)");
        return start;
    }

    /// <summary>
    /// The photo's colours where alpha is 255 (or the tile holds no fractional alpha), the estimated foreground elsewhere,
    /// opaque. Tiles are written straight into the result, so no full-frame planar copy of the colours is made.
    /// </summary>
    private static BgraImage ForegroundImage(BgraImage image, float[] alpha, SoftMask soft, MatteOptions o, CancellationToken ct)
    {
        int w = image.Width, h = image.Height;
        var dst = new BgraImage(w, h);
        Masks.Internal.ParallelRows.For(h, w, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                image.Row(y).CopyTo(dst.Row(y));
                var d = dst.Row(y);
                for (int x = 3; x < d.Length; x += 4) d[x] = 255;
            }
        });
        ForegroundEstimator.ForEachTile(w, h, ForegroundEstimator.FromImage(image), alpha, o.ForegroundRegularization, o.ForegroundGradientWeight,
            (x0, y0, x1, y1, fr, fg, fb, stride, ox, oy) =>
            {
                for (int y = y0; y < y1; y++)
                {
                    var d = dst.Row(y);
                    var a = soft.Row(y);
                    int src = (y - oy) * stride - ox;
                    for (int x = x0; x < x1; x++)
                    {
                        if (a[x] == 255) continue;
                        d[4 * x] = ToByte(fb[src + x]); d[4 * x + 1] = ToByte(fg[src + x]); d[4 * x + 2] = ToByte(fr[src + x]);
                    }
                }
            }, ct);
        return dst;
    }

    private static byte ToByte(float v) => v <= 0 ? (byte)0 : v >= 1 ? (byte)255 : (byte)(v * 255f + 0.5f);

    private static void SetOpaque(BgraImage image)
    {
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.Row(y);
            for (int x = 3; x < row.Length; x += 4) row[x] = 255;
        }
    }

    private static long CountUnknown(Trimap t) => t.UnknownCount();
}
