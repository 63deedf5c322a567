using System.Runtime.Intrinsics;

namespace SegPlugins.Core.Refinement.Internal;

/// <summary>
/// A Gaussian mixture over RGB colours with full covariances, fitted the way GrabCut does (Rother, Kolmogorov and
/// Blake, "GrabCut", SIGGRAPH 2004): every sample is given to one component, and each component's weight, mean and
/// covariance are the statistics of its samples. The first assignment splits the colours by principal axes
/// (Orchard and Bouman, "Color Quantization of Images", 1991), so the fit is deterministic.
/// </summary>
internal sealed class ColorMixture
{
    /// <summary>Added to every covariance diagonal (in 8-bit units²) so that flat regions keep a finite density.</summary>
    private const double Regularisation = 2.0;

    private readonly int _k;
    private readonly double[] _weight, _mean, _inverse, _logNorm;
    private readonly double[] _sum, _sumSq;
    private readonly long[] _count;

    public ColorMixture(int components)
    {
        _k = components;
        _weight = new double[components];
        _mean = new double[components * 3];
        _inverse = new double[components * 9];
        _logNorm = new double[components];
        _sum = new double[components * 3];
        _sumSq = new double[components * 9];
        _count = new long[components];
    }

    public int Components => _k;

    /// <summary>True once at least one component has samples.</summary>
    public bool IsFitted { get; private set; }

    /// <summary>
    /// Splits the samples (packed BGRA pixels) into components by repeatedly cutting the cluster with the largest
    /// spread along its principal axis at its mean; writes each sample's component to <paramref name="assignment"/>.
    /// </summary>
    public static void InitialAssignment(ReadOnlySpan<uint> colors, Span<byte> assignment, int components)
    {
        int n = colors.Length;
        assignment.Slice(0, n).Clear();
        if (n == 0) return;
        var stats = new Stats[components];
        stats[0] = Stats.Of(colors, assignment, 0);
        int clusters = 1;
        while (clusters < components)
        {
            int split = -1;
            double spread = 0;
            for (int c = 0; c < clusters; c++)
            {
                if (stats[c].Count < 2) continue;
                var (value, _) = stats[c].PrincipalAxis();
                if (value > spread) { spread = value; split = c; }
            }
            if (split < 0 || spread <= 1e-9) break;
            var (_, axis) = stats[split].PrincipalAxis();
            var mean = stats[split].Mean();
            double cut = axis[0] * mean[0] + axis[1] * mean[1] + axis[2] * mean[2];
            byte to = (byte)clusters;
            for (int i = 0; i < n; i++)
            {
                if (assignment[i] != split) continue;
                uint c = colors[i];
                double r = (c >> 16) & 0xFF, g = (c >> 8) & 0xFF, b = c & 0xFF;
                if (axis[0] * r + axis[1] * g + axis[2] * b > cut) assignment[i] = to;
            }
            stats[split] = Stats.Of(colors, assignment, (byte)split);
            stats[clusters] = Stats.Of(colors, assignment, to);
            clusters++;
        }
    }

    /// <summary>Clears the accumulated statistics before a new fit.</summary>
    public void BeginFit()
    {
        Array.Clear(_sum);
        Array.Clear(_sumSq);
        Array.Clear(_count);
    }

    /// <summary>Adds one sample to component <paramref name="component"/>.</summary>
    public void Add(uint color, int component)
    {
        double r = (color >> 16) & 0xFF, g = (color >> 8) & 0xFF, b = color & 0xFF;
        int m = component * 3, s = component * 9;
        _sum[m] += r; _sum[m + 1] += g; _sum[m + 2] += b;
        _sumSq[s] += r * r; _sumSq[s + 1] += r * g; _sumSq[s + 2] += r * b;
        _sumSq[s + 4] += g * g; _sumSq[s + 5] += g * b; _sumSq[s + 8] += b * b;
        _count[component]++;
    }

    /// <summary>Turns the added samples into weights, means and inverse covariances; empty components get weight 0.</summary>
    public void EndFit()
    {
        long total = 0;
        for (int c = 0; c < _k; c++) total += _count[c];
        IsFitted = total > 0;
        for (int c = 0; c < _k; c++)
        {
            long n = _count[c];
            _weight[c] = total > 0 ? (double)n / total : 0;
            if (n == 0) { _logNorm[c] = double.NegativeInfinity; continue; }
            int m = c * 3, s = c * 9;
            double mr = _sum[m] / n, mg = _sum[m + 1] / n, mb = _sum[m + 2] / n;
            _mean[m] = mr; _mean[m + 1] = mg; _mean[m + 2] = mb;
            double a = _sumSq[s] / n - mr * mr + Regularisation;
            double bb = _sumSq[s + 1] / n - mr * mg;
            double cc = _sumSq[s + 2] / n - mr * mb;
            double d = _sumSq[s + 4] / n - mg * mg + Regularisation;
            double e = _sumSq[s + 5] / n - mg * mb;
            double f = _sumSq[s + 8] / n - mb * mb + Regularisation;
            // Inverse of the symmetric matrix [a b c; b d e; c e f] by cofactors.
            double c00 = d * f - e * e, c01 = cc * e - bb * f, c02 = bb * e - cc * d;
            double c11 = a * f - cc * cc, c12 = bb * cc - a * e, c22 = a * d - bb * bb;
            double det = a * c00 + bb * c01 + cc * c02;
            if (!(det > 1e-12)) det = 1e-12;
            var inv = _inverse.AsSpan(s, 9);
            inv[0] = c00 / det; inv[1] = c01 / det; inv[2] = c02 / det;
            inv[3] = c01 / det; inv[4] = c11 / det; inv[5] = c12 / det;
            inv[6] = c02 / det; inv[7] = c12 / det; inv[8] = c22 / det;
            // log(weight / sqrt((2π)³ det))
            _logNorm[c] = Math.Log(_weight[c]) - 0.5 * (3 * Math.Log(2 * Math.PI) + Math.Log(det));
        }
    }

    /// <summary>
    /// The best component for the colour and the log of its weight·density. GrabCut's data term is this one
    /// component's −log (each pixel belongs to one component), which needs no exponentials.
    /// </summary>
    public double BestLog(uint color, out int component)
    {
        double r = (color >> 16) & 0xFF, g = (color >> 8) & 0xFF, b = color & 0xFF;
        double best = double.NegativeInfinity;
        component = 0;
        var inv = _inverse;
        for (int c = 0; c < _k; c++)
        {
            double norm = _logNorm[c];
            if (double.IsNegativeInfinity(norm)) continue;
            int m = c * 3, s = c * 9;
            double dr = r - _mean[m], dg = g - _mean[m + 1], db = b - _mean[m + 2];
            // The inverse covariance is symmetric: six distinct entries.
            double q = inv[s] * dr * dr + inv[s + 4] * dg * dg + inv[s + 8] * db * db
                     + 2 * (inv[s + 1] * dr * dg + inv[s + 2] * dr * db + inv[s + 5] * dg * db);
            double l = norm - 0.5 * q;
            if (l > best) { best = l; component = c; }
        }
        return best;
    }

    /// <summary>
    /// <see cref="BestLog"/> of every colour: the log density into <paramref name="best"/>, the component into
    /// <paramref name="component"/>. Four colours at a time where the CPU has 256-bit vectors, with the same
    /// operations in the same order per colour, so the results are those of <see cref="BestLog"/> bit for bit.
    /// </summary>
    public void BestLogs(ReadOnlySpan<uint> colors, Span<double> best, Span<byte> component)
    {
        int n = colors.Length, i = 0;
        if (best.Length < n || component.Length < n) throw new ArgumentException("one entry per colour expected");
        if (Vector256.IsHardwareAccelerated)
        {
            var inv = _inverse;
            var two = Vector256.Create(2.0);
            var half = Vector256.Create(0.5);
            for (; i <= n - 4; i += 4)
            {
                uint c0 = colors[i], c1 = colors[i + 1], c2 = colors[i + 2], c3 = colors[i + 3];
                var r = Vector256.Create((double)((c0 >> 16) & 0xFF), (c1 >> 16) & 0xFF, (c2 >> 16) & 0xFF, (c3 >> 16) & 0xFF);
                var g = Vector256.Create((double)((c0 >> 8) & 0xFF), (c1 >> 8) & 0xFF, (c2 >> 8) & 0xFF, (c3 >> 8) & 0xFF);
                var b = Vector256.Create((double)(c0 & 0xFF), c1 & 0xFF, c2 & 0xFF, c3 & 0xFF);
                var top = Vector256.Create(double.NegativeInfinity);
                var which = Vector256<double>.Zero;
                for (int c = 0; c < _k; c++)
                {
                    double norm = _logNorm[c];
                    if (double.IsNegativeInfinity(norm)) continue;
                    int m = c * 3, s = c * 9;
                    var dr = r - Vector256.Create(_mean[m]);
                    var dg = g - Vector256.Create(_mean[m + 1]);
                    var db = b - Vector256.Create(_mean[m + 2]);
                    var q = Vector256.Create(inv[s]) * dr * dr + Vector256.Create(inv[s + 4]) * dg * dg + Vector256.Create(inv[s + 8]) * db * db
                          + two * (Vector256.Create(inv[s + 1]) * dr * dg + Vector256.Create(inv[s + 2]) * dr * db + Vector256.Create(inv[s + 5]) * dg * db);
                    var l = Vector256.Create(norm) - half * q;
                    var better = Vector256.GreaterThan(l, top);
                    top = Vector256.ConditionalSelect(better, l, top);
                    which = Vector256.ConditionalSelect(better, Vector256.Create((double)c), which);
                }
                top.CopyTo(best.Slice(i, 4));
                for (int j = 0; j < 4; j++) component[i + j] = (byte)which.GetElement(j);
            }
        }
        for (; i < n; i++)
        {
            best[i] = BestLog(colors[i], out int c);
            component[i] = (byte)c;
        }
    }

    /// <summary>Running colour statistics of one cluster during the initial split.</summary>
    private readonly struct Stats
    {
        public readonly long Count;
        private readonly double _r, _g, _b, _rr, _rg, _rb, _gg, _gb, _bb;

        private Stats(long count, double r, double g, double b, double rr, double rg, double rb, double gg, double gb, double bb)
        {
            Count = count; _r = r; _g = g; _b = b; _rr = rr; _rg = rg; _rb = rb; _gg = gg; _gb = gb; _bb = bb;
        }

        public static Stats Of(ReadOnlySpan<uint> colors, ReadOnlySpan<byte> assignment, byte cluster)
        {
            long n = 0;
            double r = 0, g = 0, b = 0, rr = 0, rg = 0, rb = 0, gg = 0, gb = 0, bb = 0;
            for (int i = 0; i < colors.Length; i++)
            {
                if (assignment[i] != cluster) continue;
                uint c = colors[i];
                double cr = (c >> 16) & 0xFF, cg = (c >> 8) & 0xFF, cb = c & 0xFF;
                n++; r += cr; g += cg; b += cb;
                rr += cr * cr; rg += cr * cg; rb += cr * cb; gg += cg * cg; gb += cg * cb; bb += cb * cb;
            }
            return new Stats(n, r, g, b, rr, rg, rb, gg, gb, bb);
        }

        public double[] Mean() => Count == 0 ? [0, 0, 0] : [_r / Count, _g / Count, _b / Count];

        /// <summary>Largest eigenvalue of the covariance and its unit eigenvector, by power iteration.</summary>
        public (double Value, double[] Axis) PrincipalAxis()
        {
            if (Count == 0) return (0, [1, 0, 0]);
            double n = Count;
            double mr = _r / n, mg = _g / n, mb = _b / n;
            double a = _rr / n - mr * mr, bq = _rg / n - mr * mg, c = _rb / n - mr * mb;
            double d = _gg / n - mg * mg, e = _gb / n - mg * mb, f = _bb / n - mb * mb;
            double x = 1, y = 1, z = 1;
            double value = 0;
            for (int it = 0; it < 50; it++)
            {
                double nx = a * x + bq * y + c * z, ny = bq * x + d * y + e * z, nz = c * x + e * y + f * z;
                double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
                if (len < 1e-12) return (0, [1, 0, 0]);
                x = nx / len; y = ny / len; z = nz / len;
                value = len;
            }
            return (value, [x, y, z]);
        }
    }
}
