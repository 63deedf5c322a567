using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// The rows of the closed-form matting Laplacian (Levin et al. 2008, 3x3 windows) that belong to unknown pixels,
/// as a 5x5 stencil per unknown pixel:
/// L_ij = sum over windows k holding i and j of (δ_ij - (1 + (I_i - μ_k)ᵀ (Σ_k + ε/9 I)⁻¹ (I_j - μ_k)) / 9).
/// Only windows lying wholly inside the image count. The system L_UU α_U = -L_UK α_K fixes the known pixels exactly.
/// </summary>
internal sealed class MattingLaplacian
{
    public const int Taps = 25;

    private MattingLaplacian(int width, int height, int[] unknownPixels, float[] coefficients, float[] rhs)
    {
        Width = width;
        Height = height;
        UnknownPixels = unknownPixels;
        Coefficients = coefficients;
        Rhs = rhs;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Pixel index (y*width + x) of each unknown, in row-major order.</summary>
    public int[] UnknownPixels { get; }

    /// <summary><see cref="Taps"/> coefficients per unknown: tap (dy+2)*5 + (dx+2) couples it with pixel (x+dx, y+dy).</summary>
    public float[] Coefficients { get; }

    /// <summary>-L_UK α_K per unknown.</summary>
    public float[] Rhs { get; }

    public int Count => UnknownPixels.Length;

    public static MattingLaplacian Build(MatteLevel level, double epsilon, CancellationToken ct) =>
        level.WithColours(new Builder(level, epsilon, ct));

    private readonly struct Builder(MatteLevel level, double epsilon, CancellationToken ct) : IColourUser<MattingLaplacian>
    {
        public MattingLaplacian Use<TColours>(TColours colours) where TColours : struct, IPixelColours => Build(level, colours, epsilon, ct);
    }

    private static MattingLaplacian Build<TColours>(MatteLevel level, TColours px, double epsilon, CancellationToken ct) where TColours : struct, IPixelColours
    {
        int w = level.Width, h = level.Height, n = w * h;
        var tri = level.Trimap;
        int count = 0;
        for (int i = 0; i < n; i++) if (tri[i] == Trimap.Unknown) count++;
        var unknown = new int[count];
        for (int i = 0, u = 0; i < n; i++) if (tri[i] == Trimap.Unknown) unknown[u++] = i;

        // Windows centred within one pixel of an unknown pixel and wholly inside the image.
        // The id array first marks the centres (0), then numbers them in row-major order: no second full-frame buffer.
        var windowId = new int[n];
        Array.Fill(windowId, -1);
        foreach (int i in unknown)
        {
            int x = i % w, y = i / w;
            for (int cy = Math.Max(1, y - 1); cy <= Math.Min(h - 2, y + 1); cy++)
                for (int cx = Math.Max(1, x - 1); cx <= Math.Min(w - 2, x + 1); cx++)
                    windowId[cy * w + cx] = 0;
        }
        int windows = 0;
        for (int i = 0; i < n; i++) if (windowId[i] == 0) windows++;
        var centreArr = new int[windows];
        for (int i = 0, k = 0; i < n; i++)
            if (windowId[i] == 0) { windowId[i] = k; centreArr[k++] = i; }
        // Per window: mean colour (3) and the upper triangle of (Σ + ε/9 I)⁻¹ (6).
        var stats = new double[windows * 9];
        double reg = epsilon / 9.0;
        Parallel(windows, 60, (k0, k1) =>
        {
            for (int k = k0; k < k1; k++)
            {
                int c = centreArr[k];
                double mr = 0, mg = 0, mb = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int j = c + dy * w + dx;
                        mr += px.R(j); mg += px.G(j); mb += px.B(j);
                    }
                mr /= 9; mg /= 9; mb /= 9;
                double srr = 0, srg = 0, srb = 0, sgg = 0, sgb = 0, sbb = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int j = c + dy * w + dx;
                        double r = px.R(j) - mr, g = px.G(j) - mg, b = px.B(j) - mb;
                        srr += r * r; srg += r * g; srb += r * b; sgg += g * g; sgb += g * b; sbb += b * b;
                    }
                double a = srr / 9 + reg, bq = srg / 9, cq = srb / 9, d = sgg / 9 + reg, e = sgb / 9, f = sbb / 9 + reg;
                // Inverse of the symmetric [[a,b,c],[b,d,e],[c,e,f]] by cofactors.
                double A = d * f - e * e, B = cq * e - bq * f, C = bq * e - cq * d;
                double det = a * A + bq * B + cq * C;
                double inv = 1.0 / det;
                var s = stats.AsSpan(k * 9, 9);
                s[0] = mr; s[1] = mg; s[2] = mb;
                s[3] = A * inv; s[4] = B * inv; s[5] = C * inv;
                s[6] = (a * f - cq * cq) * inv; s[7] = (bq * cq - a * e) * inv; s[8] = (a * d - bq * bq) * inv;
            }
        });
        ct.ThrowIfCancellationRequested();

        var coef = new float[(long)count * Taps];
        var rhs = new float[count];
        Parallel(count, 800, (u0, u1) =>
        {
            Span<double> row = stackalloc double[Taps];
            // The 5x5 neighbourhood's colours, read once per unknown (each is used by up to 9 windows).
            Span<double> nr = stackalloc double[Taps];
            Span<double> ng = stackalloc double[Taps];
            Span<double> nb = stackalloc double[Taps];
            const double Ninth = 1.0 / 9.0;
            for (int u = u0; u < u1; u++)
            {
                int i = unknown[u], x = i % w, y = i / w;
                row.Clear();
                for (int t = 0; t < Taps; t++)
                {
                    int jx = x + t % 5 - 2, jy = y + t / 5 - 2;
                    if ((uint)jx >= (uint)w || (uint)jy >= (uint)h) continue;
                    int j = jy * w + jx;
                    nr[t] = px.R(j); ng[t] = px.G(j); nb[t] = px.B(j);
                }
                double ir = nr[12], ig = ng[12], ib = nb[12];
                for (int cy = y - 1; cy <= y + 1; cy++)
                {
                    if (cy < 1 || cy > h - 2) continue;
                    for (int cx = x - 1; cx <= x + 1; cx++)
                    {
                        if (cx < 1 || cx > w - 2) continue;
                        var s = stats.AsSpan(windowId[cy * w + cx] * 9, 9);
                        double mr = s[0], mg = s[1], mb = s[2];
                        double dr = ir - mr, dg = ig - mg, db = ib - mb;
                        // v = M (I_i - μ) / 9, so that each tap subtracts (1 + (I_i - μ)ᵀ M (I_j - μ)) / 9 without a division.
                        double vr = (s[3] * dr + s[4] * dg + s[5] * db) * Ninth;
                        double vg = (s[4] * dr + s[6] * dg + s[7] * db) * Ninth;
                        double vb = (s[5] * dr + s[7] * dg + s[8] * db) * Ninth;
                        row[12] += 1.0;
                        // Tap of the window's top-left pixel in i's 5x5 neighbourhood.
                        int t0 = (cy - y + 1) * 5 + (cx - x + 1);
                        for (int qy = 0; qy < 3; qy++)
                            for (int qx = 0; qx < 3; qx++)
                            {
                                int t = t0 + qy * 5 + qx;
                                row[t] -= Ninth + vr * (nr[t] - mr) + vg * (ng[t] - mg) + vb * (nb[t] - mb);
                            }
                    }
                }
                var dst = coef.AsSpan(u * Taps, Taps);
                double b = 0;
                for (int t = 0; t < Taps; t++)
                {
                    dst[t] = (float)row[t];
                    if (row[t] == 0) continue;
                    int j = i + (t / 5 - 2) * w + (t % 5 - 2);
                    if (tri[j] == Trimap.Foreground) b -= row[t];
                }
                rhs[u] = (float)b;
            }
        });
        return new MattingLaplacian(w, h, unknown, coef, rhs);
    }

    /// <summary>Solves for the unknowns by Jacobi-preconditioned conjugate gradients, starting from and writing into <paramref name="alpha"/> (full image).</summary>
    /// <returns>The number of iterations run.</returns>
    public int Solve(float[] alpha, double tolerance, int maxIterations, CancellationToken ct, bool clamp = true)
    {
        int n = Count, w = Width, pw = w + 4;
        if (n == 0) return 0;
        // The search direction lives in a padded full image so that the stencil needs no bounds checks; known pixels stay 0.
        var padded = new float[(long)pw * (Height + 4)];
        var padIndex = new int[n];
        for (int u = 0; u < n; u++) padIndex[u] = (UnknownPixels[u] / w + 2) * pw + UnknownPixels[u] % w + 2;
        var offsets = new int[Taps];
        for (int t = 0; t < Taps; t++) offsets[t] = (t / 5 - 2) * pw + (t % 5 - 2);

        var x = new float[n];
        var r = new float[n];
        var z = new float[n];
        var p = new float[n];
        var ap = new float[n];
        var invDiag = new float[n];
        var coef = Coefficients;
        for (int u = 0; u < n; u++)
        {
            x[u] = alpha[UnknownPixels[u]];
            padded[padIndex[u]] = x[u];
            float d = coef[u * Taps + 12];
            invDiag[u] = d > 0 ? 1f / d : 1f;
        }
        // r = b - A x
        Apply(padded, padIndex, offsets, ap, 0, n);
        double bNorm = 0, rz = 0;
        for (int u = 0; u < n; u++)
        {
            r[u] = Rhs[u] - ap[u];
            z[u] = r[u] * invDiag[u];
            p[u] = z[u];
            rz += (double)r[u] * z[u];
            bNorm += (double)Rhs[u] * Rhs[u];
        }
        bNorm = Math.Sqrt(bNorm);
        if (bNorm == 0) bNorm = 1;
        for (int u = 0; u < n; u++) padded[padIndex[u]] = p[u];

        int chunks = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, n / 4096));
        var part = new double[chunks * 3];
        int it = 0;
        for (; it < maxIterations; it++)
        {
            if ((it & 15) == 0) ct.ThrowIfCancellationRequested();
            // Ap and p·Ap
            Chunked(n, chunks, (c, u0, u1) =>
            {
                Apply(padded, padIndex, offsets, ap, u0, u1);
                double s = 0;
                for (int u = u0; u < u1; u++) s += (double)p[u] * ap[u];
                part[c] = s;
            });
            double pap = 0;
            for (int c = 0; c < chunks; c++) pap += part[c];
            if (!(pap > 0)) break;
            float step = (float)(rz / pap);
            Chunked(n, chunks, (c, u0, u1) =>
            {
                double s = 0, rr = 0;
                for (int u = u0; u < u1; u++)
                {
                    x[u] += step * p[u];
                    float ru = r[u] -= step * ap[u];
                    float zu = z[u] = ru * invDiag[u];
                    s += (double)ru * zu;
                    rr += (double)ru * ru;
                }
                part[c] = s;
                part[chunks + c] = rr;
            });
            double rzNew = 0, rNorm = 0;
            for (int c = 0; c < chunks; c++) { rzNew += part[c]; rNorm += part[chunks + c]; }
            if (Math.Sqrt(rNorm) <= tolerance * bNorm) { it++; break; }
            float beta = (float)(rzNew / rz);
            rz = rzNew;
            Chunked(n, chunks, (c, u0, u1) =>
            {
                for (int u = u0; u < u1; u++)
                {
                    float pu = p[u] = z[u] + beta * p[u];
                    padded[padIndex[u]] = pu;
                }
            });
        }
        for (int u = 0; u < n; u++) alpha[UnknownPixels[u]] = clamp ? Math.Clamp(x[u], 0f, 1f) : x[u];
        return it;
    }

    /// <summary>y[u] = sum over taps of coefficient * padded value, for unknowns [u0, u1).</summary>
    internal void Apply(float[] padded, int[] padIndex, int[] offsets, float[] y, int u0, int u1)
    {
        if (Vector128.IsHardwareAccelerated) { ApplyVector(padded, padIndex, y, u0, u1); return; }
        ApplyScalar(Coefficients, padded, padIndex, offsets, y, u0, u1);
    }

    /// <summary>The plain stencil product, the reference for <see cref="ApplyVector"/>.</summary>
    internal static void ApplyScalar(float[] coef, float[] padded, int[] padIndex, int[] offsets, float[] y, int u0, int u1)
    {
        for (int u = u0; u < u1; u++)
        {
            int c = padIndex[u];
            var k = coef.AsSpan(u * Taps, Taps);
            float s = 0;
            for (int t = 0; t < Taps; t++) s += k[t] * padded[c + offsets[t]];
            y[u] = s;
        }
    }

    /// <summary>
    /// The stencil product with each of the 5 rows of 5 taps as one 4-wide multiply plus its fifth tap; the row's taps
    /// and the padded image's 5 pixels are both contiguous. Same sum as <see cref="ApplyScalar"/> up to float rounding order.
    /// </summary>
    internal void ApplyVector(float[] padded, int[] padIndex, float[] y, int u0, int u1)
    {
        int pw = Width + 4;
        ref float k0 = ref MemoryMarshal.GetArrayDataReference(Coefficients);
        ref float p0 = ref MemoryMarshal.GetArrayDataReference(padded);
        for (int u = u0; u < u1; u++)
        {
            nuint k = (nuint)((long)u * Taps);
            nuint p = (nuint)(padIndex[u] - 2 * pw - 2);
            var acc = Vector128<float>.Zero;
            float tail = 0;
            for (int r = 0; r < 5; r++, k += 5, p += (nuint)pw)
            {
                acc += Vector128.LoadUnsafe(ref k0, k) * Vector128.LoadUnsafe(ref p0, p);
                tail += Unsafe.Add(ref k0, k + 4) * Unsafe.Add(ref p0, p + 4);
            }
            y[u] = Vector128.Sum(acc) + tail;
        }
    }

    /// <summary>The residual b - A α of a full-image alpha, per unknown (for tests against a dense solve).</summary>
    public float[] Residual(float[] alpha)
    {
        int w = Width;
        var res = new float[Count];
        for (int u = 0; u < Count; u++)
        {
            int i = UnknownPixels[u];
            double s = 0;
            for (int t = 0; t < Taps; t++)
            {
                float c = Coefficients[u * Taps + t];
                if (c == 0) continue;
                int j = i + (t / 5 - 2) * w + (t % 5 - 2);
                if (alpha.Length > j && j >= 0 && IsUnknownAt(j)) s += c * alpha[j];
            }
            res[u] = (float)(Rhs[u] - s);
        }
        return res;
    }

    private bool IsUnknownAt(int pixel) => Array.BinarySearch(UnknownPixels, pixel) >= 0;

    private static void Parallel(int count, long workPerItem, Action<int, int> body) =>
        Masks.Internal.ParallelRows.For(count, workPerItem, body);

    private static void Chunked(int n, int chunks, Action<int, int, int> body)
    {
        if (chunks == 1) { body(0, 0, n); return; }
        System.Threading.Tasks.Parallel.For(0, chunks, c => body(c, (int)((long)n * c / chunks), (int)((long)n * (c + 1) / chunks)));
    }
}
