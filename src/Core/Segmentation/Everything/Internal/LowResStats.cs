namespace SegPlugins.Core.Segmentation.Everything.Internal;

/// <summary>Cheap statistics on 256x256 low-res logits, restricted to the cells that cover the image.</summary>
internal static class LowResStats
{
    /// <summary>
    /// count(logit &gt; +offset) / count(logit &gt; -offset) over the first <paramref name="validW"/> x
    /// <paramref name="validH"/> cells of a <paramref name="stride"/>-wide grid; 0 when nothing is above -offset.
    /// </summary>
    public static float Stability(ReadOnlySpan<float> logits, int stride, int validW, int validH, float offset)
    {
        long high = 0, low = 0;
        float hi = offset, lo = -offset;
        for (int y = 0; y < validH; y++)
        {
            var row = logits.Slice(y * stride, validW);
            for (int x = 0; x < row.Length; x++)
            {
                float v = row[x];
                // Branch-free counts: comparisons as 0/1.
                high += v > hi ? 1 : 0;
                low += v > lo ? 1 : 0;
            }
        }
        return low == 0 ? 0f : (float)high / low;
    }

    /// <summary>True when any valid cell is above 0 (the mask would not be empty at low resolution).</summary>
    public static bool AnyPositive(ReadOnlySpan<float> logits, int stride, int validW, int validH)
    {
        for (int y = 0; y < validH; y++)
        {
            var row = logits.Slice(y * stride, validW);
            foreach (float v in row) if (v > 0) return true;
        }
        return false;
    }
}
