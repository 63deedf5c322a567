using SegPlugins.Core;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Evaluation.Internal;

/// <summary>Per-pixel loops of scoring and click simulation (checked against plain references in tests).</summary>
internal static class ScoreKernels
{
    /// <summary>Occurrences of <paramref name="value"/> (the runtime's vectorised count).</summary>
    public static long Count(ReadOnlySpan<byte> data, byte value) => data.Count(value);

    /// <summary>Intersection and union of prediction (non-zero) and object labels, skipping ignore pixels.</summary>
    public static void IntersectionUnion(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> prediction, out long intersection, out long union)
    {
        long inter = 0, uni = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            byte g = labels[i];
            if (g == GroundTruth.Ignore) continue;
            bool p = prediction[i] != 0;
            bool o = g == GroundTruth.Object;
            if (p & o) inter++;
            if (p | o) uni++;
        }
        intersection = inter;
        union = uni;
    }

    /// <summary>
    /// Writes 255 where the pixel is a false negative (<paramref name="positive"/>) or false positive, 0 elsewhere;
    /// ignore pixels are never errors. Returns the number of error pixels.
    /// </summary>
    public static int ErrorMap(ReadOnlySpan<byte> labels, ReadOnlySpan<byte> prediction, bool positive, Span<byte> errors)
    {
        int n = 0;
        byte want = positive ? GroundTruth.Object : GroundTruth.Background;
        for (int i = 0; i < labels.Length; i++)
        {
            bool predicted = prediction[i] != 0;
            bool err = labels[i] == want && predicted != positive;
            errors[i] = err ? (byte)255 : (byte)0;
            n += err ? 1 : 0;
        }
        return n;
    }

    /// <summary>
    /// The error pixel farthest from every non-error pixel (the image border counting as non-error), skipping
    /// pixels marked in <paramref name="excluded"/>. Ties go to the first pixel in row-major order.
    /// Returns the index, or -1 when no candidate is left; <paramref name="squaredDistance"/> gets its squared distance.
    /// </summary>
    public static int FarthestErrorPixel(ReadOnlySpan<byte> errors, int width, int height, ReadOnlySpan<bool> excluded, Span<float> scratch, out float squaredDistance)
    {
        DistanceTransform.SquaredDistance(errors, width, height, targetIsSet: false, borderIsTarget: true, scratch);
        int best = -1;
        float bestD = 0f;
        for (int i = 0; i < errors.Length; i++)
        {
            float d = scratch[i];
            // Strictly greater keeps the first pixel of a tie; non-error pixels have distance 0 and never win.
            if (d > bestD && !excluded[i]) { bestD = d; best = i; }
        }
        squaredDistance = bestD;
        return best;
    }
}
