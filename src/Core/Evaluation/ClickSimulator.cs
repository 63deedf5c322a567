using SegPlugins.Core.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Evaluation;

/// <summary>A simulated click at pixel (X,Y). <see cref="Distance"/> is how far it lies inside its error region.</summary>
public readonly record struct SimulatedClick(int X, int Y, bool Positive, float Distance)
{
    /// <summary>The click as a prompt at the pixel's index (the decoder adds the half-pixel offset itself).</summary>
    public PointPrompt ToPrompt() => new(X, Y, Positive);
}

/// <summary>
/// The click protocol of interactive-segmentation benchmarks (RITM, SimpleClick and successors): the next click
/// goes to the error pixel farthest from any correct pixel.
/// <list type="bullet">
/// <item>False negatives are object pixels not predicted, false positives background pixels predicted; pixels of
/// the ignore band are never errors, and count as correct when measuring distances.</item>
/// <item>The image border counts as correct (the error maps are padded by one correct pixel), so a region
/// touching the border is measured to the border too.</item>
/// <item>Distances are exact Euclidean. The click is positive when the largest false-negative distance is
/// strictly larger than the largest false-positive distance; on a tie it is negative (the benchmarks' rule).</item>
/// <item>Pixels already clicked are not clicked again; among equally distant pixels the first in row-major order wins.</item>
/// </list>
/// The first click is taken against an empty prediction, which makes it the object pixel farthest from the background.
/// </summary>
public sealed class ClickSimulator
{
    private readonly GroundTruth _truth;
    private readonly bool[] _clicked;
    private readonly byte[] _errors;
    private readonly float[] _distance;
    private readonly List<SimulatedClick> _clicks = new();

    public ClickSimulator(GroundTruth truth)
    {
        _truth = truth ?? throw new SegArgumentException(nameof(truth), "is null");
        int n = truth.Labels.Length;
        _clicked = new bool[n];
        _errors = new byte[n];
        _distance = new float[n];
    }

    public IReadOnlyList<SimulatedClick> Clicks => _clicks;

    /// <summary>
    /// Chooses the next click against <paramref name="prediction"/> (null = nothing selected yet) and records it.
    /// Returns null when there is no error pixel left that was not clicked already.
    /// </summary>
    public SimulatedClick? Next(Mask? prediction)
    {
        int w = _truth.Width, h = _truth.Height;
        ReadOnlySpan<byte> pred;
        if (prediction is null) pred = new byte[w * h];
        else
        {
            MaskChecks.SameSize(w, h, prediction.Width, prediction.Height, "ground truth", "prediction");
            pred = prediction.Data;
        }

        int fnIndex = -1, fpIndex = -1;
        float fnD = 0, fpD = 0;
        if (ScoreKernels.ErrorMap(_truth.Labels, pred, positive: true, _errors) > 0)
            fnIndex = ScoreKernels.FarthestErrorPixel(_errors, w, h, _clicked, _distance, out fnD);
        if (ScoreKernels.ErrorMap(_truth.Labels, pred, positive: false, _errors) > 0)
            fpIndex = ScoreKernels.FarthestErrorPixel(_errors, w, h, _clicked, _distance, out fpD);
        if (fnIndex < 0 && fpIndex < 0) return null;

        bool positive = fnD > fpD;
        int index = positive ? fnIndex : fpIndex;
        float d = positive ? fnD : fpD;
        _clicked[index] = true;
        var click = new SimulatedClick(index % w, index / w, positive, MathF.Sqrt(d));
        _clicks.Add(click);
        return click;
    }
}

/// <summary>Scores of the interactive benchmarks.</summary>
public static class SegmentationMetrics
{
    /// <summary>
    /// Intersection over union of <paramref name="prediction"/> with the object, leaving out the ignore band.
    /// An empty object predicted empty scores 1.
    /// </summary>
    public static double IoU(GroundTruth truth, Mask prediction)
    {
        MaskChecks.SameSize(truth.Width, truth.Height, prediction.Width, prediction.Height, "ground truth", "prediction");
        ScoreKernels.IntersectionUnion(truth.Labels, prediction.Data, out long inter, out long union);
        return union == 0 ? 1.0 : (double)inter / union;
    }

    /// <summary>
    /// Number of clicks to reach <paramref name="threshold"/>: the first k (1-based) with
    /// <c>ious[k-1] &gt;= threshold</c>, or <paramref name="maxClicks"/> when it is never reached (the benchmarks'
    /// convention, which also counts a failure as the maximum).
    /// </summary>
    public static int NumberOfClicks(IReadOnlyList<double> ious, double threshold, int maxClicks)
    {
        if (maxClicks < 1) throw new SegArgumentException(nameof(maxClicks), $"must be at least 1, got {maxClicks}");
        int n = Math.Min(ious.Count, maxClicks);
        for (int k = 0; k < n; k++)
            if (ious[k] >= threshold) return k + 1;
        return maxClicks;
    }

    /// <summary>True when <paramref name="threshold"/> was not reached within <paramref name="maxClicks"/> (counted by NoF).</summary>
    public static bool Failed(IReadOnlyList<double> ious, double threshold, int maxClicks)
    {
        int n = Math.Min(ious.Count, maxClicks);
        for (int k = 0; k < n; k++)
            if (ious[k] >= threshold) return false;
        return true;
    }
}
