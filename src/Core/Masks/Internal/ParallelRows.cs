namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// The one place that splits row (or column) ranges across cores. Small jobs run inline because
/// scheduling costs more than it saves below roughly a few hundred thousand pixel operations.
/// </summary>
internal static class ParallelRows
{
    private const long MinParallelWork = 1 << 18;

    /// <summary>Runs <paramref name="body"/>(start, end) over contiguous chunks of [0, count).</summary>
    /// <remarks>
    /// workPerItem: approximate pixel operations per item, to decide whether threads pay. chunksPerCore: how finely
    /// to split; more chunks even out items of very different cost, at the price of more chunk boundaries.
    /// </remarks>
    public static void For(int count, long workPerItem, Action<int, int> body, int chunksPerCore = 4)
    {
        if (count <= 0) return;
        int cores = Environment.ProcessorCount;
        if (cores <= 1 || count < 2 || (long)count * workPerItem < MinParallelWork)
        {
            body(0, count);
            return;
        }
        // A few chunks per core evens out rows of different cost (e.g. edge rows of a blob).
        int chunks = Math.Min(count, cores * chunksPerCore);
        Parallel.For(0, chunks, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }
}
