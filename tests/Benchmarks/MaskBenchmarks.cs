using BenchmarkDotNet.Attributes;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement;

namespace SegPlugins.Benchmarks;

/// <summary>
/// Mask editing and compositing on a 12 MP (4000x3000) frame with a realistic selection: a lobed blob with
/// holes and a scatter of small islands. Goals (2 cores): plain operations under 40 ms, edge refinement and
/// compositing under 150 ms, the distance transform within 2x of two plain passes over the same buffers.
/// </summary>
[MemoryDiagnoser]
public class MaskBenchmarks
{
    private const int W = 4000, H = 3000;
    private Mask _blob = null!, _other = null!;
    private SoftMask _soft = null!;
    private BgraImage _image = null!, _dest = null!;
    private float[] _dist = null!;
    private LogitMap _overreach = null!;

    [GlobalSetup]
    public void Setup()
    {
        _blob = Blob(W, H, 0);
        _other = Blob(W, H, 1);
        _soft = _blob.Feather(6);
        _image = new BgraImage(W, H);
        _dest = new BgraImage(W, H);
        var rng = new Random(5);
        var noise = new byte[W * 4];
        for (int y = 0; y < H; y++)
        {
            rng.NextBytes(noise);
            var row = _image.Row(y);
            var m = _blob.Row(y);
            for (int x = 0; x < W; x++)
            {
                int inside = m[x] != 0 ? 1 : 0;
                row[x * 4] = (byte)(inside * 150 + (x >> 5) + (noise[x * 4] & 15));
                row[x * 4 + 1] = (byte)(inside * 90 + (y >> 5) + (noise[x * 4 + 1] & 15));
                row[x * 4 + 2] = (byte)(200 - inside * 120 + (noise[x * 4 + 2] & 15));
                row[x * 4 + 3] = 255;
            }
        }
        _dist = new float[W * H];
        // A model answer that spilled 40 px past the blob, as SAM does into a box or a concave outline.
        var spill = _blob.Grow(40);
        _overreach = new LogitMap(W, H);
        for (int i = 0; i < _overreach.Data.Length; i++) _overreach.Data[i] = spill.Data[i] != 0 ? 6f : -6f;
    }

    /// <summary>A lobed blob covering about a third of the frame, with holes inside and islands outside.</summary>
    private static Mask Blob(int w, int h, int seed)
    {
        var m = new Mask(w, h);
        double cx = w * (0.48 + 0.04 * seed), cy = h * 0.52, r0 = h * 0.36;
        for (int y = 0; y < h; y++)
        {
            var row = m.Row(y);
            for (int x = 0; x < w; x++)
            {
                double dx = x - cx, dy = y - cy;
                double t = Math.Atan2(dy, dx);
                double r = r0 * (1 + 0.18 * Math.Sin(3 * t + seed) + 0.07 * Math.Sin(11 * t) + 0.02 * Math.Sin(53 * t));
                if (dx * dx + dy * dy <= r * r) row[x] = Mask.On;
            }
        }
        var rng = new Random(seed + 10);
        for (int i = 0; i < 60; i++)
        {
            // Holes near the centre, islands in the corners.
            bool hole = i % 2 == 0;
            double px = hole ? cx + rng.Next(-400, 400) : rng.Next(0, 600) + (i % 4 == 1 ? 0 : w - 600);
            double py = hole ? cy + rng.Next(-400, 400) : rng.Next(0, h);
            double rr = rng.Next(3, 40);
            for (int y = (int)Math.Max(0, py - rr); y < Math.Min(h, py + rr + 1); y++)
                for (int x = (int)Math.Max(0, px - rr); x < Math.Min(w, px + rr + 1); x++)
                    if ((x - px) * (x - px) + (y - py) * (y - py) <= rr * rr) m.Data[y * w + x] = hole ? Mask.Off : Mask.On;
        }
        return m;
    }

    [Benchmark] public Mask Grow1() => _blob.Grow(1);
    [Benchmark] public Mask Grow50() => _blob.Grow(50);
    [Benchmark] public Mask Shrink1() => _blob.Shrink(1);
    [Benchmark] public Mask Shrink50() => _blob.Shrink(50);
    [Benchmark] public SoftMask FeatherDistance8() => _blob.Feather(8);
    [Benchmark] public SoftMask FeatherGaussian8() => _blob.Feather(8, FeatherMode.Gaussian);
    [Benchmark] public Mask FillAllHoles() => _blob.FillAllHoles();
    [Benchmark] public Mask RemoveIslands() => _blob.RemoveIslands(2000);
    [Benchmark] public Mask Union() => _blob.Union(_other);
    [Benchmark] public Mask Subtract() => _blob.Subtract(_other);
    [Benchmark] public Mask Xor() => _blob.Xor(_other);
    [Benchmark] public Mask Invert() => _blob.Invert();
    [Benchmark] public SoftMask RefineEdges() => _blob.RefineEdges(_image);
    [Benchmark] public BgraImage CutOutBlurBackground() => Compositor.ReplaceBackground(_image, _soft, Background.Blur(8), destination: _dest);
    [Benchmark] public BgraImage CutOutDecontaminated() => Compositor.CutOut(_image, _soft, new CutOutOptions(decontaminate: true), _dest);

    [Benchmark] public Mask ColorRefine() => ColorRefiner.Refine(_image, _overreach);

    [Benchmark] public void DistanceTransformOnly() => DistanceTransform.SquaredDistance(_blob.Data, W, H, true, false, _dist);

    /// <summary>
    /// Bandwidth floor for the distance transform: two passes that each read the whole mask and write the whole
    /// float result, vectorised and on all cores, i.e. the least any two-pass transform into that buffer could cost.
    /// </summary>
    [Benchmark]
    public void TwoPlainPasses()
    {
        PlainPass(_blob.Data, _dist, 1f);
        PlainPass(_blob.Data, _dist, 2f);
    }

    private static void PlainPass(byte[] m, float[] d, float scale)
    {
        ParallelRows.For(H, W, (y0, y1) =>
        {
            var src = m.AsSpan(y0 * W, (y1 - y0) * W);
            var dst = d.AsSpan(y0 * W, (y1 - y0) * W);
            int n = System.Numerics.Vector<byte>.Count, i = 0;
            var k = new System.Numerics.Vector<float>(scale);
            int fn = System.Numerics.Vector<float>.Count;
            for (; i <= src.Length - n; i += n)
            {
                System.Numerics.Vector.Widen(new System.Numerics.Vector<byte>(src.Slice(i)), out var lo, out var hi);
                System.Numerics.Vector.Widen(lo, out var a, out var b);
                System.Numerics.Vector.Widen(hi, out var c, out var e);
                (System.Numerics.Vector.ConvertToSingle(System.Numerics.Vector.AsVectorInt32(a)) * k).CopyTo(dst.Slice(i));
                (System.Numerics.Vector.ConvertToSingle(System.Numerics.Vector.AsVectorInt32(b)) * k).CopyTo(dst.Slice(i + fn));
                (System.Numerics.Vector.ConvertToSingle(System.Numerics.Vector.AsVectorInt32(c)) * k).CopyTo(dst.Slice(i + 2 * fn));
                (System.Numerics.Vector.ConvertToSingle(System.Numerics.Vector.AsVectorInt32(e)) * k).CopyTo(dst.Slice(i + 3 * fn));
            }
            for (; i < src.Length; i++) dst[i] = src[i] * scale;
        });
    }
}
