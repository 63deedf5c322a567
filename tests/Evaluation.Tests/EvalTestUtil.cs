using SegPlugins.Evaluation;

namespace SegPlugins.Evaluation.Tests;

internal static class EvalTestUtil
{
    /// <summary>Builds labels from rows of characters: '#' object, '.' background, '?' ignore.</summary>
    public static GroundTruth Truth(params string[] rows)
    {
        int w = rows[0].Length, h = rows.Length;
        var labels = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                labels[y * w + x] = rows[y][x] switch { '#' => GroundTruth.Object, '?' => GroundTruth.Ignore, _ => GroundTruth.Background };
        return new GroundTruth(w, h, labels);
    }

    public static GroundTruth Rect(int w, int h, int x0, int y0, int x1, int y1)
    {
        var labels = new byte[w * h];
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) labels[y * w + x] = GroundTruth.Object;
        return new GroundTruth(w, h, labels);
    }
}
