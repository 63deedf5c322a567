using Xunit;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement.Internal;

namespace SegPlugins.Core.Tests.Refinement;

/// <summary>The grid min-cut against exhaustive search on tiny grids and a plain augmenting-path max-flow on larger ones.</summary>
public class GridMaxFlowTests
{
    /// <summary>Random terminal costs and 8-neighbour links; returns them so the references can rebuild the graph.</summary>
    private sealed record Instance(int W, int H, long[] ToSource, long[] ToSink, int[] Links)
    {
        public int N => W * H;

        /// <summary>Links[d/2 * N + i] for d in E, S, SE, SW (the other four are their reverses).</summary>
        public static Instance Random(int w, int h, int seed, int maxTerminal = 50, int maxLink = 30, double zeroLinks = 0.2)
        {
            var rng = new Random(seed);
            int n = w * h;
            var src = new long[n];
            var snk = new long[n];
            for (int i = 0; i < n; i++)
            {
                src[i] = rng.Next(maxTerminal + 1);
                snk[i] = rng.Next(maxTerminal + 1);
            }
            var links = new int[4 * n];
            for (int i = 0; i < links.Length; i++) links[i] = rng.NextDouble() < zeroLinks ? 0 : rng.Next(1, maxLink + 1);
            return new Instance(w, h, src, snk, links);
        }

        public GridMaxFlow Build()
        {
            var g = new GridMaxFlow(W, H);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    int i = y * W + x;
                    g.SetTerminals(x, y, ToSource[i], ToSink[i]);
                    for (int k = 0; k < 4; k++)
                        if (Links[k * N + i] > 0) g.SetLink(x, y, 2 * k, Links[k * N + i]);
                }
            return g;
        }

        /// <summary>Edges (a, b, capacity) between pixels, in both directions, for neighbours inside the grid.</summary>
        public IEnumerable<(int A, int B, int Cap)> Edges()
        {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int k = 0; k < 4; k++)
                    {
                        var (dx, dy) = GridMaxFlow.Direction(2 * k);
                        int nx = x + dx, ny = y + dy;
                        int c = Links[k * N + y * W + x];
                        if (c == 0 || nx < 0 || ny < 0 || nx >= W || ny >= H) continue;
                        yield return (y * W + x, ny * W + nx, c);
                    }
        }

        /// <summary>Cost of a labelling (true = source side): terminal links of the other side plus links across.</summary>
        public long CutCost(Func<int, bool> sourceSide)
        {
            long cost = 0;
            for (int i = 0; i < N; i++) cost += sourceSide(i) ? ToSink[i] : ToSource[i];
            foreach (var (a, b, c) in Edges())
                if (sourceSide(a) != sourceSide(b)) cost += c;
            return cost;
        }
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(4, 3)]
    [InlineData(2, 6)]
    [InlineData(1, 10)]
    public void MinCutMatchesExhaustiveSearch(int w, int h)
    {
        for (int seed = 0; seed < 60; seed++)
        {
            var inst = Instance.Random(w, h, seed * 31 + w * 7 + h);
            long best = long.MaxValue;
            for (int bits = 0; bits < 1 << inst.N; bits++)
                best = Math.Min(best, inst.CutCost(i => (bits >> i & 1) != 0));
            var g = inst.Build();
            long flow = g.Solve();
            Assert.Equal(best, flow);
            // The labelling it reports is a cut of that cost.
            Assert.Equal(best, inst.CutCost(i => g.OnSourceSide(i % w, i / w)));
        }
    }

    [Theory]
    [InlineData(20, 15, 1)]
    [InlineData(33, 9, 2)]
    [InlineData(40, 40, 3)]
    public void FlowMatchesAugmentingPathReference(int w, int h, int seed)
    {
        for (int round = 0; round < 5; round++)
        {
            var inst = Instance.Random(w, h, seed * 1000 + round, maxTerminal: 200, maxLink: 60, zeroLinks: 0.1);
            var g = inst.Build();
            long flow = g.Solve();
            Assert.Equal(ReferenceMaxFlow(inst), flow);
            Assert.Equal(flow, inst.CutCost(i => g.OnSourceSide(i % w, i / w)));
        }
    }

    [Theory]
    [InlineData(3, 3, 1)]
    [InlineData(1, 2, 9)]
    [InlineData(2, 2, 9)]
    [InlineData(20, 15, 2)]
    [InlineData(48, 40, 3)]
    [InlineData(64, 9, 4)]
    public void ChangedTerminalsGiveTheCutOfASolveFromScratch(int w, int h, int seed)
    {
        // Many small problems (where every kind of tree change shows up), fewer large ones.
        for (int round = 0, rounds = w * h <= 100 ? 60 : 6; round < rounds; round++)
        {
            var first = Instance.Random(w, h, seed * 100 + round, maxTerminal: 300, maxLink: 80, zeroLinks: 0.1);
            // The next problem: the same links, terminal costs moved by up to their own size (some far, some not at all).
            var rng = new Random(seed * 7 + round);
            var src = first.ToSource.Select(v => round % 2 == 0 ? (long)rng.Next(301) : Math.Max(0, v + rng.Next(-40, 41))).ToArray();
            var snk = first.ToSink.Select(v => round % 2 == 0 ? (long)rng.Next(301) : Math.Max(0, v + rng.Next(-40, 41))).ToArray();
            var second = first with { ToSource = src, ToSink = snk };

            var warm = first.Build();
            warm.SaveLinks();
            long firstCost = warm.Solve();
            warm.ChangeTerminals(first.ToSource, first.ToSink);
            Assert.Equal(firstCost, warm.Solve());
            warm.ChangeTerminals(src, snk);
            long warmCost = warm.Solve();

            var cold = second.Build();
            long coldCost = cold.Solve();
            Assert.Equal(coldCost, warmCost);
            Assert.Equal(ReferenceMaxFlow(second), warmCost);
            for (int i = 0; i < second.N; i++)
                Assert.Equal(cold.OnSourceSide(i % w, i / w), warm.OnSourceSide(i % w, i / w));

            // And once more from there (the colour cut's third round).
            var third = first with { ToSource = snk, ToSink = src };
            warm.ChangeTerminals(snk, src);
            Assert.Equal(ReferenceMaxFlow(third), warm.Solve());
            var cold3 = third.Build();
            cold3.Solve();
            for (int i = 0; i < third.N; i++)
                Assert.Equal(cold3.OnSourceSide(i % w, i / w), warm.OnSourceSide(i % w, i / w));
        }
    }

    [Fact]
    public void ChangingTerminalsNeedsSavedLinksAndValidCosts()
    {
        var inst = Instance.Random(4, 3, 5);
        var g = inst.Build();
        Assert.Throws<InvalidOperationException>(() => g.ChangeTerminals(inst.ToSource, inst.ToSink));
        g.SaveLinks();
        g.Solve();
        Assert.Throws<ArgumentException>(() => g.ChangeTerminals(inst.ToSource.AsSpan(1), inst.ToSink.AsSpan(1)));
        var negative = (long[])inst.ToSource.Clone();
        negative[0] = -1;
        Assert.Throws<ArgumentOutOfRangeException>(() => g.ChangeTerminals(negative, inst.ToSink));
    }

    [Fact]
    public void LinksOutsideTheGridAreIgnoredAndNegativeCapacityRefused()
    {
        var g = new GridMaxFlow(3, 2);
        g.SetLink(2, 1, 0, 5);   // east of the last column
        g.SetLink(0, 0, 3, 5);   // north of the first row
        g.SetTerminals(0, 0, 10, 0);
        g.SetTerminals(2, 1, 0, 10);
        Assert.Equal(0, g.Solve());
        Assert.True(g.OnSourceSide(0, 0));
        Assert.False(g.OnSourceSide(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.SetLink(0, 0, 0, -1));
    }

    /// <summary>Edmonds-Karp (shortest augmenting paths by breadth-first search) on adjacency lists with a super source and sink.</summary>
    private static long ReferenceMaxFlow(Instance inst)
    {
        int n = inst.N, s = n, t = n + 1, m = n + 2;
        var to = new List<int>();
        var cap = new List<long>();
        var adj = new List<int>[m];
        for (int i = 0; i < m; i++) adj[i] = new List<int>();
        void Add(int a, int b, long c, long back)
        {
            adj[a].Add(to.Count); to.Add(b); cap.Add(c);
            adj[b].Add(to.Count); to.Add(a); cap.Add(back);
        }
        for (int i = 0; i < n; i++)
        {
            Add(s, i, inst.ToSource[i], 0);
            Add(i, t, inst.ToSink[i], 0);
        }
        foreach (var (a, b, c) in inst.Edges()) Add(a, b, c, c);
        long flow = 0;
        var via = new int[m];
        while (true)
        {
            Array.Fill(via, -1);
            var q = new Queue<int>();
            q.Enqueue(s);
            bool found = false;
            while (q.Count > 0 && !found)
            {
                int u = q.Dequeue();
                foreach (int e in adj[u])
                {
                    int v = to[e];
                    if (v == s || via[v] >= 0 || cap[e] <= 0) continue;
                    via[v] = e;
                    if (v == t) { found = true; break; }
                    q.Enqueue(v);
                }
            }
            if (!found) return flow;
            long f = long.MaxValue;
            for (int v = t; v != s; v = to[via[v] ^ 1]) f = Math.Min(f, cap[via[v]]);
            for (int v = t; v != s; v = to[via[v] ^ 1]) { cap[via[v]] -= f; cap[via[v] ^ 1] += f; }
            flow += f;
        }
    }
}
