using SegPlugins.Core;
namespace SegPlugins.Evaluation;

/// <summary>
/// The four errors of the alpha matting benchmark (Rhemann et al., CVPR 2009), on alpha in [0, 1], summed over the
/// pixels of a region (the whole image unless a region is given): SAD (sum of absolute differences), MSE (mean
/// squared error), the gradient error (squared difference of gradient magnitudes under first-order Gaussian
/// derivative filters of σ = 1.4) and the connectivity error (threshold step 0.1, distances below 0.15 ignored).
/// SAD, gradient and connectivity are reported divided by 1000, the benchmark's unit.
/// </summary>
public static class MatteMetrics
{
    public const double GradientSigma = 1.4;
    public const double ConnectivityStep = 0.1;
    public const double ConnectivityCut = 0.15;

    /// <summary>Sum of |pred - truth| over the region, / 1000.</summary>
    public static double Sad(ReadOnlySpan<float> pred, ReadOnlySpan<float> truth, ReadOnlySpan<bool> region = default)
    {
        Check(pred, truth, region);
        double s = 0;
        for (int i = 0; i < pred.Length; i++)
            if (region.IsEmpty || region[i]) s += Math.Abs(pred[i] - truth[i]);
        return s / 1000.0;
    }

    /// <summary>Mean of (pred - truth)² over the region (0 for an empty region).</summary>
    public static double Mse(ReadOnlySpan<float> pred, ReadOnlySpan<float> truth, ReadOnlySpan<bool> region = default)
    {
        Check(pred, truth, region);
        double s = 0;
        long n = 0;
        for (int i = 0; i < pred.Length; i++)
            if (region.IsEmpty || region[i]) { double d = pred[i] - truth[i]; s += d * d; n++; }
        return n == 0 ? 0 : s / n;
    }

    /// <summary>
    /// Sum of (|∇pred| - |∇truth|)² over the region, / 1000. The derivative kernels are G(x)·G'(y) (and the transpose)
    /// of σ = 1.4, half-size ceil(σ·sqrt(-2 ln(sqrt(2π)·σ·0.01))) = 4, scaled to unit L2 norm; the image border is
    /// replicated.
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> pred, ReadOnlySpan<float> truth, int width, int height, ReadOnlySpan<bool> region = default)
    {
        Check(pred, truth, region);
        CheckSize(pred.Length, width, height);
        var kernel = DerivativeKernel(GradientSigma, out int half);
        var gp = GradientMagnitude(pred, width, height, kernel, half);
        var gt = GradientMagnitude(truth, width, height, kernel, half);
        double s = 0;
        for (int i = 0; i < gp.Length; i++)
            if (region.IsEmpty || region[i]) { double d = gp[i] - gt[i]; s += d * d; }
        return s / 1000.0;
    }

    /// <summary>
    /// Connectivity error, / 1000: for each threshold t = 0.1, 0.2, ..., 1, the largest 4-connected component where both
    /// mattes are &gt;= t; a pixel's level l is the last threshold before it first falls outside that component (1 if it
    /// never does); φ = 1 - d·[d &gt;= 0.15] with d = alpha - l; the error sums |φ_pred - φ_truth| over the region.
    /// </summary>
    public static double Connectivity(ReadOnlySpan<float> pred, ReadOnlySpan<float> truth, int width, int height, ReadOnlySpan<bool> region = default)
    {
        Check(pred, truth, region);
        CheckSize(pred.Length, width, height);
        int n = pred.Length;
        var level = new float[n];
        Array.Fill(level, -1f);
        int steps = (int)Math.Round(1.0 / ConnectivityStep);
        var both = new bool[n];
        var label = new int[n];
        var stack = new Stack<int>();
        for (int k = 1; k <= steps; k++)
        {
            float t = (float)(k * ConnectivityStep), prev = (float)((k - 1) * ConnectivityStep);
            for (int i = 0; i < n; i++) both[i] = pred[i] >= t && truth[i] >= t;
            var omega = LargestComponent(both, width, height, label, stack);
            for (int i = 0; i < n; i++)
                if (level[i] == -1f && (omega < 0 || label[i] != omega)) level[i] = prev;
        }
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            if (!region.IsEmpty && !region[i]) continue;
            float l = level[i] == -1f ? 1f : level[i];
            double dp = pred[i] - l, dt = truth[i] - l;
            double phiP = 1 - (dp >= ConnectivityCut ? dp : 0), phiT = 1 - (dt >= ConnectivityCut ? dt : 0);
            s += Math.Abs(phiP - phiT);
        }
        return s / 1000.0;
    }

    /// <summary>Labels 4-connected components of <paramref name="set"/> (label 0 = not set) and returns the label of the largest (first on ties), or -1.</summary>
    private static int LargestComponent(bool[] set, int w, int h, int[] label, Stack<int> stack)
    {
        Array.Clear(label);
        int next = 0, best = -1;
        long bestSize = 0;
        for (int start = 0; start < set.Length; start++)
        {
            if (!set[start] || label[start] != 0) continue;
            int id = ++next;
            long size = 0;
            label[start] = id;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                size++;
                int x = i % w, y = i / w;
                if (x > 0 && set[i - 1] && label[i - 1] == 0) { label[i - 1] = id; stack.Push(i - 1); }
                if (x < w - 1 && set[i + 1] && label[i + 1] == 0) { label[i + 1] = id; stack.Push(i + 1); }
                if (y > 0 && set[i - w] && label[i - w] == 0) { label[i - w] = id; stack.Push(i - w); }
                if (y < h - 1 && set[i + w] && label[i + w] == 0) { label[i + w] = id; stack.Push(i + w); }
            }
            if (size > bestSize) { bestSize = size; best = id; }
        }
        return best;
    }

    /// <summary>The x-derivative kernel (size (2·half+1)², row-major, index [y*size + x]); the y-kernel is its transpose.</summary>
    internal static double[] DerivativeKernel(double sigma, out int half)
    {
        half = (int)Math.Ceiling(sigma * Math.Sqrt(-2 * Math.Log(Math.Sqrt(2 * Math.PI) * sigma * 0.01)));
        int size = 2 * half + 1;
        var k = new double[size * size];
        double norm = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double u = x - half, v = y - half;
                double val = Gauss(v, sigma) * -u * Gauss(u, sigma) / (sigma * sigma);
                k[y * size + x] = val;
                norm += val * val;
            }
        norm = Math.Sqrt(norm);
        for (int i = 0; i < k.Length; i++) k[i] /= norm;
        return k;
    }

    private static double Gauss(double x, double sigma) => Math.Exp(-x * x / (2 * sigma * sigma)) / (sigma * Math.Sqrt(2 * Math.PI));

    private static double[] GradientMagnitude(ReadOnlySpan<float> a, int w, int h, double[] k, int half)
    {
        int size = 2 * half + 1;
        var m = new double[a.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double gx = 0, gy = 0;
                for (int ky = 0; ky < size; ky++)
                {
                    int sy = Math.Clamp(y + ky - half, 0, h - 1);
                    for (int kx = 0; kx < size; kx++)
                    {
                        int sx = Math.Clamp(x + kx - half, 0, w - 1);
                        double v = a[sy * w + sx];
                        gx += v * k[ky * size + kx];
                        gy += v * k[kx * size + ky];
                    }
                }
                m[y * w + x] = Math.Sqrt(gx * gx + gy * gy);
            }
        return m;
    }

    private static void Check(ReadOnlySpan<float> pred, ReadOnlySpan<float> truth, ReadOnlySpan<bool> region)
    {
        if (pred.Length != truth.Length) throw new SegArgumentException("matte", $"has {pred.Length} values but the ground truth has {truth.Length}");
        if (!region.IsEmpty && region.Length != pred.Length) throw new SegArgumentException("region", $"has {region.Length} values, expected {pred.Length}");
    }

    private static void CheckSize(int length, int w, int h)
    {
        if (w <= 0 || h <= 0 || (long)w * h != length) throw new SegArgumentException("matte", $"has {length} values, not {w}x{h}");
    }
}
