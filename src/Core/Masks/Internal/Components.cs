namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Connected components by run-length union-find: each row's runs of the wanted value are unioned with
/// overlapping runs of the row above, so the cost grows with the number of runs, not pixels.
/// </summary>
internal sealed class Components
{
    private int[] _runRow = new int[256], _runX0 = new int[256], _runX1 = new int[256], _parent = new int[256];
    private int _runs;
    private int[] _rowFirst = Array.Empty<int>();

    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Count { get; private set; }
    /// <summary>Component of each run, 0..Count-1.</summary>
    public int[] RunLabel { get; private set; } = Array.Empty<int>();
    public long[] Area { get; private set; } = Array.Empty<long>();
    public bool[] TouchesBorder { get; private set; } = Array.Empty<bool>();

    /// <summary>Labels pixels whose (value != 0) equals <paramref name="set"/>; 8- or 4-connected.</summary>
    public static Components Label(byte[] data, int width, int height, bool set, bool eightConnected)
    {
        var c = new Components { Width = width, Height = height };
        c.Build(data, set, eightConnected);
        return c;
    }

    private void Build(byte[] data, bool set, bool eight)
    {
        int w = Width, h = Height;
        _rowFirst = new int[h + 1];
        int prevStart = 0, prevEnd = 0;
        for (int y = 0; y < h; y++)
        {
            _rowFirst[y] = _runs;
            var row = new ReadOnlySpan<byte>(data, y * w, w);
            int x = 0;
            while (x < w)
            {
                var rest = row.Slice(x);
                int s = set ? rest.IndexOfAnyExcept((byte)0) : rest.IndexOf((byte)0);
                if (s < 0) break;
                int start = x + s;
                var tail = row.Slice(start);
                int e = set ? tail.IndexOf((byte)0) : tail.IndexOfAnyExcept((byte)0);
                int end = e < 0 ? w : start + e;
                AddRun(y, start, end);
                x = end;
            }
            int curStart = _rowFirst[y], curEnd = _runs;
            // Two-pointer merge with the previous row's runs.
            int i = prevStart;
            for (int j = curStart; j < curEnd; j++)
            {
                int a0 = _runX0[j], a1 = _runX1[j];
                int lo = eight ? a0 - 1 : a0, hi = eight ? a1 + 1 : a1; // x-range [lo, hi) that touches
                while (i < prevEnd && _runX1[i] <= lo) i++;
                for (int k = i; k < prevEnd && _runX0[k] < hi; k++) Union(j, k);
            }
            prevStart = curStart; prevEnd = curEnd;
        }
        _rowFirst[h] = _runs;

        var label = new int[_runs];
        var rootLabel = new int[_runs];
        Array.Fill(rootLabel, -1);
        int count = 0;
        for (int r = 0; r < _runs; r++)
        {
            int root = Find(r);
            if (rootLabel[root] < 0) rootLabel[root] = count++;
            label[r] = rootLabel[root];
        }
        var area = new long[count];
        var border = new bool[count];
        for (int r = 0; r < _runs; r++)
        {
            int l = label[r];
            area[l] += _runX1[r] - _runX0[r];
            if (_runX0[r] == 0 || _runX1[r] == w || _runRow[r] == 0 || _runRow[r] == h - 1) border[l] = true;
        }
        RunLabel = label;
        Area = area;
        TouchesBorder = border;
        Count = count;
    }

    private void AddRun(int y, int x0, int x1)
    {
        if (_runs == _runRow.Length)
        {
            int n = _runs * 2;
            Array.Resize(ref _runRow, n); Array.Resize(ref _runX0, n); Array.Resize(ref _runX1, n); Array.Resize(ref _parent, n);
        }
        _runRow[_runs] = y; _runX0[_runs] = x0; _runX1[_runs] = x1; _parent[_runs] = _runs;
        _runs++;
    }

    private int Find(int a)
    {
        while (_parent[a] != a) { _parent[a] = _parent[_parent[a]]; a = _parent[a]; }
        return a;
    }

    private void Union(int a, int b)
    {
        a = Find(a); b = Find(b);
        if (a == b) return;
        if (a < b) _parent[b] = a; else _parent[a] = b;
    }

    /// <summary>Component at pixel (x,y), or -1 when the pixel is not of the labelled value.</summary>
    public int LabelAt(int x, int y)
    {
        for (int r = _rowFirst[y]; r < _rowFirst[y + 1]; r++)
            if (x >= _runX0[r] && x < _runX1[r]) return RunLabel[r];
        return -1;
    }

    /// <summary>Flags the components that share at least one pixel with the set pixels of <paramref name="other"/> (same size).</summary>
    public bool[] Overlapping(byte[] other)
    {
        var hit = new bool[Count];
        for (int r = 0; r < _runs; r++)
        {
            int l = RunLabel[r];
            if (!hit[l] && other.AsSpan(_runRow[r] * Width + _runX0[r], _runX1[r] - _runX0[r]).IndexOfAnyExcept((byte)0) >= 0) hit[l] = true;
        }
        return hit;
    }

    /// <summary>Writes <paramref name="value"/> over every pixel of the components flagged in <paramref name="select"/>.</summary>
    public void Paint(byte[] dst, bool[] select, byte value)
    {
        for (int r = 0; r < _runs; r++)
            if (select[RunLabel[r]])
                dst.AsSpan(_runRow[r] * Width + _runX0[r], _runX1[r] - _runX0[r]).Fill(value);
    }
}
