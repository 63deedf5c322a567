using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Refinement.Internal;

/// <summary>
/// GrabCut's iterated graph cut (Rother, Kolmogorov and Blake, SIGGRAPH 2004) with other opinions as priors. The
/// data cost of each label is the −log density of the pixel's colour under that label's colour mixture plus the
/// prior costs the caller supplies (−log of a model's tempered probability, for instance); the pairwise cost is
/// GrabCut's contrast-sensitive Potts term γ·exp(−β‖Δc‖²)/distance on 8 neighbours. Colour models and cut
/// alternate for a few rounds, each refitting the mixtures to the current labels.
/// </summary>
internal static class ColorCut
{
    /// <summary>Costs are rounded to integers after this scale, fine enough that the rounding never decides a cut.</summary>
    private const double CostScale = 64;

    /// <summary>Cost of going against a constraint: more than any sum of the other terms can reach.</summary>
    private const long Forbidden = 1L << 40;

    /// <summary>Per-pixel constraint values.</summary>
    public const byte Unconstrained = 0, ForceSelected = 1, ForceUnselected = 2;

    /// <summary>One grid to label.</summary>
    /// <param name="Width">Grid width.</param>
    /// <param name="Height">Grid height.</param>
    /// <param name="Colors">Packed BGRA colours, Width·Height.</param>
    /// <param name="CostSelected">Prior cost (nats) of selecting each pixel.</param>
    /// <param name="CostUnselected">Prior cost (nats) of leaving each pixel out.</param>
    /// <param name="Constraints">Per pixel <see cref="Unconstrained"/>, <see cref="ForceSelected"/> or <see cref="ForceUnselected"/>.</param>
    /// <param name="Initial">The labels the colour models are first fitted to (true = selected).</param>
    public sealed record Problem(int Width, int Height, uint[] Colors, float[] CostSelected, float[] CostUnselected, byte[] Constraints, bool[] Initial);

    /// <summary>Mixture components, rounds of refit-and-cut, and γ of the pairwise term.</summary>
    public readonly record struct Settings(int Components, int Rounds, double Smoothness);

    /// <summary>Labels the grid; returns true where selected.</summary>
    public static bool[] Run(Problem p, Settings s, CancellationToken ct = default) => Run(p, s, measure: false, out _, ct);

    /// <summary>
    /// Labels the grid, and with <paramref name="measure"/> measures how well colours alone tell the two sides apart:
    /// <paramref name="colorAgreement"/> is the IoU between the selected labels and the pixels whose colour is likelier
    /// under the selected side's mixture (both refitted to the final labels). 0 when not measured, when one side is
    /// empty or when the grid is one flat colour.
    /// With a <c>reuse</c> store (the graph of the previous cut of the same selection), a grid of the same colours
    /// starts from that graph's flow (same labels, less work), and this cut's graph is kept for the next; without
    /// one a graph is built and nothing is kept.
    /// </summary>
    public static bool[] Run(Problem p, Settings s, bool measure, out double colorAgreement, CancellationToken ct, ColorCutReuse? reuse = null)
    {
        colorAgreement = 0;
        int w = p.Width, h = p.Height, n = w * h;
        var label = (bool[])p.Initial.Clone();
        for (int i = 0; i < n; i++)
        {
            if (p.Constraints[i] == ForceSelected) label[i] = true;
            else if (p.Constraints[i] == ForceUnselected) label[i] = false;
        }
        // A graph kept from the previous cut of the same grid has these links, its capacities saved and its flow maximal.
        var graph = reuse?.Take(w, h, p.Colors, s.Smoothness);
        bool solved = graph is not null; // the graph holds a maximal flow of an earlier cut
        if (graph is null)
        {
            graph = new GridMaxFlow(w, h);
            // A region of one flat colour has nothing to cut along: the labels stand.
            if (!SetLinks(graph, p.Colors, w, h, s.Smoothness)) return label;
            graph.SaveLinks();
        }

        var fg = new ColorMixture(s.Components);
        var bg = new ColorMixture(s.Components);
        // Each pixel's component in its own side's mixture; the best components under both mixtures come out of
        // the data costs, so after a cut the new labels pick theirs without another pass.
        var assignment = InitialAssignment(p.Colors, label, s.Components);
        var bestFg = new byte[n];
        var bestBg = new byte[n];
        var costSel = new long[n];
        var costUnsel = new long[n];
        var side = new bool[n];
        for (int round = 0; round < s.Rounds; round++)
        {
            ct.ThrowIfCancellationRequested();
            Fit(p.Colors, label, assignment, fg, bg);
            // With one side empty there is nothing to tell colours apart by: the labels stand.
            if (!fg.IsFitted || !bg.IsFitted) break;
            DataCosts(p, fg, bg, costSel, costUnsel, bestFg, bestBg);
            // Source side = selected: the link to the source is paid when the pixel ends unselected. A later
            // round keeps the flow of the one before, so its solve only finds what the refitted colours change.
            if (!solved) graph.SetAllTerminals(costUnsel, costSel);
            else graph.ChangeTerminals(costUnsel, costSel);
            graph.Solve(ct);
            solved = true;
            graph.SourceSide(side);
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                bool v = side[i];
                if (label[i] != v) { label[i] = v; changed = true; }
                assignment[i] = v ? bestFg[i] : bestBg[i];
            }
            if (!changed) break;
        }
        // Kept only after a solve that finished: a cut cancelled half way leaves no usable flow.
        if (solved) reuse?.Keep(graph, p.Colors, s.Smoothness);
        if (measure) colorAgreement = ColorAgreement(p.Colors, label, assignment, fg, bg);
        return label;
    }

    /// <summary>IoU of the selected labels with the pixels the refitted colour mixtures alone would select.</summary>
    private static double ColorAgreement(uint[] colors, bool[] label, byte[] assignment, ColorMixture fg, ColorMixture bg)
    {
        Fit(colors, label, assignment, fg, bg);
        if (!fg.IsFitted || !bg.IsFitted) return 0;
        long both = 0, either = 0;
        for (int i = 0; i < colors.Length; i++)
        {
            bool byColor = fg.BestLog(colors[i], out _) > bg.BestLog(colors[i], out _);
            if (byColor && label[i]) both++;
            if (byColor || label[i]) either++;
        }
        return either == 0 ? 0 : (double)both / either;
    }

    /// <summary>
    /// Integer data costs of both labels: −log of the pixel's best component under each side's mixture plus the
    /// prior, or a constraint; and those best components.
    /// </summary>
    private static void DataCosts(Problem p, ColorMixture fg, ColorMixture bg, long[] costSel, long[] costUnsel, byte[] bestFg, byte[] bestBg)
    {
        int w = p.Width;
        ParallelRows.For(p.Height, (long)w * 40, (y0, y1) =>
        {
            var lf = new double[w];
            var lb = new double[w];
            for (int y = y0; y < y1; y++)
            {
                int row = y * w;
                var colors = p.Colors.AsSpan(row, w);
                fg.BestLogs(colors, lf, bestFg.AsSpan(row, w));
                bg.BestLogs(colors, lb, bestBg.AsSpan(row, w));
                for (int x = 0; x < w; x++)
                {
                    int i = row + x;
                    switch (p.Constraints[i])
                    {
                        case ForceSelected: costSel[i] = 0; costUnsel[i] = Forbidden; break;
                        case ForceUnselected: costSel[i] = Forbidden; costUnsel[i] = 0; break;
                        default:
                            costSel[i] = (long)Math.Round((p.CostSelected[i] - lf[x]) * CostScale);
                            costUnsel[i] = (long)Math.Round((p.CostUnselected[i] - lb[x]) * CostScale);
                            break;
                    }
                }
            }
        });
    }

    /// <summary>First components: each side's colours split along principal axes.</summary>
    private static byte[] InitialAssignment(uint[] colors, bool[] label, int components)
    {
        int n = colors.Length;
        var assignment = new byte[n];
        foreach (bool side in (ReadOnlySpan<bool>)[true, false])
        {
            int count = 0;
            for (int i = 0; i < n; i++) if (label[i] == side) count++;
            var sub = new uint[count];
            var index = new int[count];
            for (int i = 0, j = 0; i < n; i++) if (label[i] == side) { sub[j] = colors[i]; index[j++] = i; }
            var a = new byte[count];
            ColorMixture.InitialAssignment(sub, a, components);
            for (int j = 0; j < count; j++) assignment[index[j]] = a[j];
        }
        return assignment;
    }

    /// <summary>Both mixtures from the labels and each pixel's component.</summary>
    private static void Fit(uint[] colors, bool[] label, byte[] assignment, ColorMixture fg, ColorMixture bg)
    {
        fg.BeginFit();
        bg.BeginFit();
        for (int i = 0; i < colors.Length; i++) (label[i] ? fg : bg).Add(colors[i], assignment[i]);
        fg.EndFit();
        bg.EndFit();
    }

    /// <summary>
    /// Pairwise capacities: γ·exp(−β‖Δc‖²)/distance towards E, S, SE and SW, with β = 1 / (2·mean ‖Δc‖²) over all
    /// neighbour pairs (GrabCut's choice, which adapts the contrast scale to the image).
    /// </summary>
    /// <returns>False when no two neighbours differ in colour (no links were set).</returns>
    private static bool SetLinks(GridMaxFlow graph, uint[] colors, int w, int h, double gamma)
    {
        int n = w * h;
        // Squared colour differences towards E, S, SE and SW, at [k * n + i]; -1 where the neighbour is outside.
        var d2 = new int[4 * n];
        var sums = new long[h];
        ParallelRows.For(h, (long)w * 16, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                long sum = 0;
                for (int k = 0; k < 4; k++)
                {
                    var (dx, dy) = GridMaxFlow.Direction(2 * k);
                    for (int x = 0; x < w; x++)
                    {
                        int nx = x + dx, ny = y + dy, v = -1;
                        if (nx >= 0 && nx < w && ny < h) { v = Distance2(colors[y * w + x], colors[ny * w + nx]); sum += v; }
                        d2[k * n + y * w + x] = v;
                    }
                }
                sums[y] = sum;
            }
        });
        long total = 0;
        foreach (long v in sums) total += v;
        long pairs = 4L * w * h - 3L * h - 3L * w + 2;  // E: (w-1)h, S: w(h-1), SE and SW: (w-1)(h-1) each
        if (total == 0) return false;
        double beta = 1.0 / (2.0 * total / pairs);
        var caps = new int[4 * n];
        ParallelRows.For(h, (long)w * 16, (y0, y1) =>
        {
            for (int k = 0; k < 4; k++)
            {
                var (dx, dy) = GridMaxFlow.Direction(2 * k);
                float scale = (float)(gamma / Math.Sqrt(dx * dx + dy * dy) * CostScale), nb = (float)-beta;
                for (int i = k * n + y0 * w; i < k * n + y1 * w; i++)
                    caps[i] = d2[i] < 0 ? 0 : (int)MathF.Round(scale * MathF.Exp(nb * d2[i]));
            }
        });
        for (int k = 0; k < 4; k++) graph.SetAllLinks(2 * k, caps.AsSpan(k * n, n));
        return true;
    }

    private static int Distance2(uint a, uint b)
    {
        int dr = (int)((a >> 16) & 0xFF) - (int)((b >> 16) & 0xFF);
        int dg = (int)((a >> 8) & 0xFF) - (int)((b >> 8) & 0xFF);
        int db = (int)(a & 0xFF) - (int)(b & 0xFF);
        return dr * dr + dg * dg + db * db;
    }
}
