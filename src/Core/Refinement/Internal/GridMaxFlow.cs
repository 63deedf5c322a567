using System.Runtime.CompilerServices;

namespace SegPlugins.Core.Refinement.Internal;

/// <summary>
/// Minimum s-t cut of an 8-connected pixel grid by augmenting paths grown from both terminals as two search trees
/// that are reused between augmentations (Boykov and Kolmogorov, "An Experimental Comparison of Min-Cut/Max-Flow
/// Algorithms for Energy Minimization in Vision", PAMI 2004), the solver of interactive graph cuts and GrabCut.
/// Capacities are integers, so the cut is exact and the same on every machine.
/// <para>
/// The grid is stored with a one-node frame whose edges all have zero capacity, so no neighbour lookup needs a
/// bounds check. Node i has eight residual capacities, one per direction (E, W, S, N, SE, NW, SW, NE: direction
/// d ^ 1 is the reverse of d); its terminal link is one signed residual, positive towards the source.
/// </para>
/// </summary>
internal sealed class GridMaxFlow
{
    private const byte Free = 0, SourceTree = 1, SinkTree = 2;
    private const sbyte Terminal = 8, NoParent = -1;

    private readonly int _width, _height, _stride;
    private readonly int[] _offset = new int[8];
    /// <summary>Residual capacity from node i towards its neighbour in direction d, at [i * 8 + d]: a node's eight side by side.</summary>
    private readonly int[] _cap;
    private readonly long[] _terminal;
    /// <summary>The smaller of a pixel's two terminal costs, which every cut pays; only the difference is a capacity.</summary>
    private readonly long[] _paidAnyway;
    /// <summary>Each pixel's terminal costs as last set, source minus sink: what <see cref="ChangeTerminals"/> measures its change against.</summary>
    private readonly long[] _net;
    /// <summary>True after <see cref="ChangeTerminals"/>: the flow on the links is from an earlier solve, and the cut is priced from the labels.</summary>
    private bool _warm;
    /// <summary>True once a solve has run: its trees are what <see cref="ChangeTerminals"/> starts from.</summary>
    private bool _solved;
    private readonly byte[] _tree;
    private readonly sbyte[] _parent;
    private readonly int[] _stamp, _depth;
    private readonly int[] _queue;
    private readonly bool[] _queued;
    private readonly int _n;
    private int _qHead, _qCount;
    /// <summary>Orphans waiting for a parent: a ring buffer, since each node is an orphan at most once at a time.</summary>
    private readonly int[] _orphanRing;
    private int _oHead, _oCount;
    private int _time;

    public GridMaxFlow(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width));
        _width = width;
        _height = height;
        _stride = width + 2;
        _n = checked(_stride * (height + 2));
        int s = _stride;
        int[] off = [1, -1, s, -s, s + 1, -s - 1, s - 1, -s + 1];
        off.CopyTo(_offset, 0);
        _cap = new int[checked(8 * _n)];
        _terminal = new long[_n];
        _paidAnyway = new long[_n];
        _net = new long[_n];
        _tree = new byte[_n];
        _parent = new sbyte[_n];
        _stamp = new int[_n];
        _depth = new int[_n];
        _queue = new int[_n];
        _queued = new bool[_n];
        _orphanRing = new int[_n];
    }

    public int Width => _width;
    public int Height => _height;

    /// <summary>The offset of direction <paramref name="d"/> in node indices.</summary>
    public static (int Dx, int Dy) Direction(int d) => d switch
    {
        0 => (1, 0), 1 => (-1, 0), 2 => (0, 1), 3 => (0, -1),
        4 => (1, 1), 5 => (-1, -1), 6 => (-1, 1), _ => (1, -1),
    };

    private int Node(int x, int y) => (y + 1) * _stride + x + 1;

    /// <summary>
    /// Terminal links of pixel (x, y): <paramref name="toSource"/> is paid when the pixel ends on the sink side,
    /// <paramref name="toSink"/> when it ends on the source side. Only their difference shapes the cut.
    /// </summary>
    public void SetTerminals(int x, int y, long toSource, long toSink)
    {
        if (toSource < 0 || toSink < 0) throw new ArgumentOutOfRangeException(nameof(toSource));
        int i = Node(x, y);
        _terminal[i] = _net[i] = toSource - toSink;
        _paidAnyway[i] = Math.Min(toSource, toSink);
        _warm = false;
    }

    /// <summary>
    /// The link between (x, y) and its neighbour in direction <paramref name="d"/> (0..3 of E, W, S, N or 4..7 of
    /// SE, NW, SW, NE): the cost of separating them, the same both ways. A neighbour outside the grid is ignored.
    /// </summary>
    public void SetLink(int x, int y, int d, int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        var (dx, dy) = Direction(d);
        int nx = x + dx, ny = y + dy;
        if ((uint)nx >= (uint)_width || (uint)ny >= (uint)_height) return;
        int p = Node(x, y), q = Node(nx, ny);
        _cap[p * 8 + d] = capacity;
        _cap[q * 8 + (d ^ 1)] = capacity;
    }

    /// <summary>
    /// Terminal costs of every pixel at once (row-major, width·height each), as <see cref="SetTerminals"/> would
    /// set them one by one.
    /// </summary>
    public void SetAllTerminals(ReadOnlySpan<long> toSource, ReadOnlySpan<long> toSink)
    {
        if (toSource.Length != _width * _height || toSink.Length != toSource.Length) throw new ArgumentException("one cost per pixel expected");
        for (int y = 0; y < _height; y++)
        {
            int row = y * _width, node = Node(0, y);
            for (int x = 0; x < _width; x++)
            {
                long a = toSource[row + x], b = toSink[row + x];
                if (a < 0 || b < 0) throw new ArgumentOutOfRangeException(nameof(toSource));
                _terminal[node + x] = _net[node + x] = a - b;
                _paidAnyway[node + x] = Math.Min(a, b);
            }
        }
        _warm = false;
    }

    /// <summary>
    /// New terminal costs for every pixel (as <see cref="SetAllTerminals"/> takes them) that keep the flow the last
    /// <see cref="Solve"/> left on the links, so the next solve only has to find the flow the change makes possible
    /// (dynamic graph cuts, Kohli and Torr, ICCV 2005). The terminal links are signed residuals, so the change is
    /// added to each: a pixel whose new costs no longer carry its old flow is reparametrised by adding the same
    /// amount to both of its links, which changes every cut's cost alike and none's order. The link capacities must
    /// have been saved (<see cref="SaveLinks"/>) before that solve and not changed since: the cut is priced from them.
    /// The cut found is the same as a solve from scratch finds: the pixels the source still reaches once the flow is
    /// maximal, which do not depend on how the flow got there.
    /// </summary>
    public void ChangeTerminals(ReadOnlySpan<long> toSource, ReadOnlySpan<long> toSink)
    {
        if (toSource.Length != _width * _height || toSink.Length != toSource.Length) throw new ArgumentException("one cost per pixel expected");
        if (_savedLinks is null || !_solved) throw new InvalidOperationException("terminals can only be changed after a solve with saved link capacities");
        foreach (long v in toSource) if (v < 0) throw new ArgumentOutOfRangeException(nameof(toSource));
        foreach (long v in toSink) if (v < 0) throw new ArgumentOutOfRangeException(nameof(toSink));
        // The trees of the last solve are kept: only pixels whose terminal residual changes sign or vanishes move.
        _time++;
        for (int y = 0; y < _height; y++)
        {
            int row = y * _width, node = Node(0, y);
            for (int x = 0; x < _width; x++)
            {
                long a = toSource[row + x], b = toSink[row + x];
                int i = node + x;
                long delta = a - b - _net[i];
                _net[i] = a - b;
                _paidAnyway[i] = Math.Min(a, b);
                if (delta == 0) continue;
                long t = _terminal[i] += delta;
                byte want = t > 0 ? SourceTree : t < 0 ? SinkTree : Free;
                if (want == Free)
                {
                    // Its terminal link is gone: it needs another way to its tree's terminal, or it leaves the tree.
                    if (_parent[i] == Terminal) Orphan(i, front: false);
                    continue;
                }
                if (_tree[i] != want)
                {
                    // It changes trees: the nodes that hung from it in the old one need new parents.
                    if (_tree[i] != Free) OrphanChildren(i);
                    _tree[i] = want;
                    Enqueue(i);
                    // Its neighbours were done growing while it was elsewhere; the ones that reach it must look again
                    // (if it leaves its new tree again, they are what finds it).
                    for (int d = 0; d < 8; d++)
                        if (_tree[i + _offset[d]] != Free) Enqueue(i + _offset[d]);
                }
                _parent[i] = Terminal;
                _stamp[i] = _time;
                _depth[i] = 1;
            }
        }
        _warm = true;
    }

    /// <summary>Makes orphans of the nodes whose parent is <paramref name="p"/>.</summary>
    private void OrphanChildren(int p)
    {
        for (int d = 0; d < 8; d++)
        {
            int q = p + _offset[d];
            int pq = _parent[q];
            if (pq >= 0 && pq != Terminal && q + _offset[pq] == p && _tree[q] == _tree[p]) Orphan(q, front: false);
        }
    }

    /// <summary>Links towards direction <paramref name="d"/> of every pixel at once (row-major, width·height; entries whose neighbour is outside are ignored).</summary>
    public void SetAllLinks(int d, ReadOnlySpan<int> capacities)
    {
        if (capacities.Length != _width * _height) throw new ArgumentException("one capacity per pixel expected");
        var (dx, dy) = Direction(d);
        int off = _offset[d];
        for (int y = 0; y < _height; y++)
        {
            if ((uint)(y + dy) >= (uint)_height) continue;
            int x0 = Math.Max(0, -dx), x1 = Math.Min(_width, _width - dx);
            for (int x = x0; x < x1; x++)
            {
                int c = capacities[y * _width + x];
                if (c < 0) throw new ArgumentOutOfRangeException(nameof(capacities));
                int p = Node(x, y);
                _cap[p * 8 + d] = c;
                _cap[(p + off) * 8 + (d ^ 1)] = c;
            }
        }
    }

    /// <summary>Which side of the cut each pixel is on after <see cref="Solve"/> (true = source), row-major.</summary>
    public void SourceSide(Span<bool> result)
    {
        if (result.Length != _width * _height) throw new ArgumentException("one entry per pixel expected");
        for (int y = 0; y < _height; y++)
        {
            int node = Node(0, y);
            for (int x = 0; x < _width; x++) result[y * _width + x] = _tree[node + x] == SourceTree;
        }
    }

    private int[]? _savedLinks;

    /// <summary>Remembers the link capacities as set: <see cref="ChangeTerminals"/> prices the cut from them.</summary>
    public void SaveLinks() => _savedLinks = (int[])_cap.Clone();

    /// <summary>True when pixel (x, y) is on the source side of the minimum cut found by <see cref="Solve"/>.</summary>
    public bool OnSourceSide(int x, int y) => _tree[Node(x, y)] == SourceTree;

    /// <summary>Computes the minimum cut and returns its cost (the maximum flow plus what every cut pays).</summary>
    public long Solve(CancellationToken cancellationToken = default)
    {
        if (_warm)
        {
            Adopt();
            Augmentations(cancellationToken);
            return PricedCut();
        }
        long flow = 0;
        foreach (long c in _paidAnyway) flow += c;
        flow += PushDirect();
        return flow + Search(cancellationToken);
    }

    /// <summary>Grows the two search trees from every pixel with a terminal residual and augments until they no longer meet; returns the flow pushed.</summary>
    private long Search(CancellationToken cancellationToken)
    {
        long flow = 0;
        Array.Clear(_tree);
        Array.Fill(_parent, NoParent);
        Array.Clear(_queued);
        _qHead = _qCount = 0;
        _time = 0;
        for (int y = 0; y < _height; y++)
        {
            for (int x = 0; x < _width; x++)
            {
                int i = Node(x, y);
                long t = _terminal[i];
                if (t == 0) continue;
                _tree[i] = t > 0 ? SourceTree : SinkTree;
                _parent[i] = Terminal;
                _stamp[i] = 0;
                _depth[i] = 1;
                Enqueue(i);
            }
        }

        flow += Augmentations(cancellationToken);
        _solved = true;
        return flow;
    }

    /// <summary>Grows the trees from the active nodes and augments along each path they meet on, until they no longer meet; returns the flow pushed.</summary>
    private long Augmentations(CancellationToken cancellationToken)
    {
        long flow = 0;
        int steps = 0;
        while (true)
        {
            if ((++steps & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (!Grow(out int s, out int t, out int d)) break;
            _time++;
            flow += Augment(s, t, d);
            Adopt();
        }
        return flow;
    }

    /// <summary>The cost of the cut the trees give, from the terminal costs as set and the saved link capacities.</summary>
    private long PricedCut()
    {
        var links = _savedLinks!;
        long cost = 0;
        for (int y = 0; y < _height; y++)
        {
            for (int i = Node(0, y), end = i + _width; i < end; i++)
            {
                long net = _net[i], paid = _paidAnyway[i];
                bool source = _tree[i] == SourceTree;
                // Selected (source side) pays the sink link, b = paid + max(-net, 0); else a = paid + max(net, 0).
                cost += paid + (source ? Math.Max(-net, 0) : Math.Max(net, 0));
                if (!source) continue;
                for (int d = 0; d < 8; d++)
                {
                    int q = i + _offset[d];
                    if (_tree[q] != SourceTree) cost += links[i * 8 + d];
                }
            }
        }
        return cost;
    }

    /// <summary>
    /// Saturates the two-edge paths source → p → q → sink between neighbours before any tree exists. On image
    /// grids most of the flow takes such paths, and pushing it here spares the trees an augmentation (and the
    /// orphans it makes) for each of them.
    /// </summary>
    private long PushDirect()
    {
        var cap = _cap;
        var t = _terminal;
        long pushed = 0;
        for (int y = 0; y < _height; y++)
        {
            for (int p = Node(0, y), end = p + _width; p < end; p++)
            {
                if (t[p] <= 0) continue;
                for (int d = 0; d < 8 && t[p] > 0; d++)
                {
                    int q = p + _offset[d];
                    int c = cap[p * 8 + d];
                    if (c <= 0 || t[q] >= 0) continue;
                    long f = Math.Min(Math.Min(t[p], -t[q]), c);
                    t[p] -= f;
                    t[q] += f;
                    cap[p * 8 + d] -= (int)f;
                    cap[q * 8 + (d ^ 1)] += (int)f;
                    pushed += f;
                }
            }
        }
        return pushed;
    }

    private void Enqueue(int i)
    {
        if (_queued[i]) return;
        _queued[i] = true;
        int at = _qHead + _qCount;
        if (at >= _n) at -= _n;
        _queue[at] = i;
        _qCount++;
    }

    /// <summary>
    /// Grows the trees from the active nodes until they touch: returns the source-tree node, the sink-tree node
    /// and the direction from the first to the second.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Grow(out int sNode, out int tNode, out int dir)
    {
        var cap = _cap;
        var tree = _tree;
        int n = _n;
        while (_qCount > 0)
        {
            int p = _queue[_qHead];
            byte tp = tree[p];
            if (tp != Free)
            {
                for (int d = 0; d < 8; d++)
                {
                    int q = p + _offset[d];
                    // Residual capacity in the tree's direction: away from the source, towards the sink.
                    int c = tp == SourceTree ? cap[p * 8 + d] : cap[q * 8 + (d ^ 1)];
                    if (c <= 0) continue;
                    byte tq = tree[q];
                    if (tq == Free)
                    {
                        tree[q] = tp;
                        _parent[q] = (sbyte)(d ^ 1);
                        _stamp[q] = _stamp[p];
                        _depth[q] = _depth[p] + 1;
                        Enqueue(q);
                    }
                    else if (tq != tp)
                    {
                        // p stays active: it may reach the other tree again after this augmentation.
                        if (tp == SourceTree) { sNode = p; tNode = q; dir = d; }
                        else { sNode = q; tNode = p; dir = d ^ 1; }
                        return true;
                    }
                    else if (_stamp[q] <= _stamp[p] && _depth[q] > _depth[p])
                    {
                        // A shorter way to the terminal (the heuristic of the paper keeps paths short).
                        _parent[q] = (sbyte)(d ^ 1);
                        _stamp[q] = _stamp[p];
                        _depth[q] = _depth[p] + 1;
                    }
                }
            }
            _queued[p] = false;
            _qHead++;
            if (_qHead == n) _qHead = 0;
            _qCount--;
        }
        sNode = tNode = dir = 0;
        return false;
    }

    /// <summary>Pushes the bottleneck along the path; nodes whose link to their parent saturates become orphans.</summary>
    private long Augment(int sNode, int tNode, int dir)
    {
        var cap = _cap;
        int n = _n;
        long f = cap[sNode * 8 + dir];
        int u = sNode;
        while (_parent[u] != Terminal)
        {
            int pd = _parent[u], par = u + _offset[pd];
            f = Math.Min(f, cap[par * 8 + (pd ^ 1)]);
            u = par;
        }
        f = Math.Min(f, _terminal[u]);
        u = tNode;
        while (_parent[u] != Terminal)
        {
            int pd = _parent[u];
            f = Math.Min(f, cap[u * 8 + pd]);
            u += _offset[pd];
        }
        f = Math.Min(f, -_terminal[u]);

        int fi = (int)f;
        cap[sNode * 8 + dir] -= fi;
        cap[tNode * 8 + (dir ^ 1)] += fi;
        u = sNode;
        while (_parent[u] != Terminal)
        {
            int pd = _parent[u], par = u + _offset[pd];
            cap[u * 8 + pd] += fi;
            if ((cap[par * 8 + (pd ^ 1)] -= fi) == 0) Orphan(u);
            u = par;
        }
        if ((_terminal[u] -= f) == 0) Orphan(u);
        u = tNode;
        while (_parent[u] != Terminal)
        {
            int pd = _parent[u], par = u + _offset[pd];
            cap[par * 8 + (pd ^ 1)] += fi;
            if ((cap[u * 8 + pd] -= fi) == 0) Orphan(u);
            u = par;
        }
        if ((_terminal[u] += f) == 0) Orphan(u);
        return f;
    }

    /// <summary>
    /// Cuts <paramref name="u"/> from its parent. Orphans made by an augmentation go to the front, so the one nearest
    /// the terminal is adopted first; orphans found while adopting go to the back (the order of the paper's solver).
    /// </summary>
    private void Orphan(int u, bool front = true)
    {
        _parent[u] = NoParent;
        if (front)
        {
            _oHead = _oHead == 0 ? _n - 1 : _oHead - 1;
            _orphanRing[_oHead] = u;
        }
        else
        {
            int at = _oHead + _oCount;
            _orphanRing[at >= _n ? at - _n : at] = u;
        }
        _oCount++;
    }

    /// <summary>Finds each orphan a new parent in its own tree with a path to the terminal, or frees it.</summary>
    private void Adopt()
    {
        var cap = _cap;
        int n = _n;
        while (_oCount > 0)
        {
            int o = _orphanRing[_oHead];
            _oHead = _oHead + 1 == _n ? 0 : _oHead + 1;
            _oCount--;
            // A node orphaned while terminal costs changed may have been given its own terminal link since.
            if (_parent[o] != NoParent) continue;
            byte to = _tree[o];
            int best = -1, bestDepth = int.MaxValue;
            for (int d = 0; d < 8; d++)
            {
                int q = o + _offset[d];
                if (_tree[q] != to) continue;
                int c = to == SourceTree ? cap[q * 8 + (d ^ 1)] : cap[o * 8 + d];
                if (c <= 0) continue;
                int depth = OriginDepth(q);
                if (depth < 0) continue;
                if (depth < bestDepth) { bestDepth = depth; best = d; }
                // Mark the checked path so later searches stop at it.
                int u = q, dd = depth;
                while (_stamp[u] != _time)
                {
                    _stamp[u] = _time;
                    _depth[u] = dd--;
                    u += _offset[_parent[u]];
                }
            }
            if (best >= 0)
            {
                _parent[o] = (sbyte)best;
                _stamp[o] = _time;
                _depth[o] = bestDepth + 1;
                continue;
            }
            for (int d = 0; d < 8; d++)
            {
                int q = o + _offset[d];
                if (_tree[q] != to) continue;
                int c = to == SourceTree ? cap[q * 8 + (d ^ 1)] : cap[o * 8 + d];
                if (c > 0) Enqueue(q);
                int pq = _parent[q];
                if (pq >= 0 && pq != Terminal && q + _offset[pq] == o) Orphan(q, front: false);
            }
            _tree[o] = Free;
        }
    }

    /// <summary>Depth of <paramref name="q"/> below its terminal when its parent chain reaches one; -1 when it ends at an orphan.</summary>
    private int OriginDepth(int q)
    {
        int u = q, steps = 0;
        while (true)
        {
            if (_stamp[u] == _time) return steps + _depth[u];
            sbyte p = _parent[u];
            if (p == Terminal)
            {
                _stamp[u] = _time;
                _depth[u] = 1;
                return steps + 1;
            }
            if (p == NoParent) return -1;
            steps++;
            u += _offset[p];
        }
    }
}
