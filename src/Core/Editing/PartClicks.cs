using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>
/// Settings of <see cref="ClickChainOptions.Parts"/>: a correction click far from the selection's edge answered on its
/// own and combined with the selection, instead of asking the decoder for one object that holds every click. An include
/// click outside the selection and not touching it (a part the selection does not reach: an occluded object seen in two
/// pieces, the second of two objects in one mask) is answered alone, with the exclude clicks near it, and the answer is
/// united with the selection. An exclude click deep inside the selection (a hole, or a second object the selection took
/// in) is answered as if it were an include click alone, and that answer is cut out of the selection. The combined
/// selection is what the next click feeds back (<see cref="MaskFeedback.FromSelection"/> of the previous feedback).
/// Validated with the chain's options. Off by default (<see cref="ClickChainOptions.Parts"/> says what was measured);
/// the limits' defaults (<see cref="PartMinGapPixels"/> 2: not touching, <see cref="PartMaxGrowth"/> 1,
/// <see cref="HoleMaxShare"/> 0.5) were set before measuring, not tuned (<c>PartMaxGrowth</c> 2 changed nothing on GrabCut).
/// </summary>
public sealed record PartClickOptions
{
    /// <summary>
    /// An include click outside the selection whose distance to the nearest selected pixel is at least this fraction of
    /// the selection's largest inner depth (and at least <see cref="PartMinGapPixels"/>) is a separate part. 0 = off.
    /// </summary>
    public double PartMinGap { get; init; }

    /// <summary>Least distance in pixels from an include click to the selection for it to be a separate part (2: not touching it).</summary>
    public double PartMinGapPixels { get; init; } = 2;

    /// <summary>
    /// A part's answer is united only when its area is at most this many times the selection's (above it the click alone
    /// read a larger object or the background); 0 = no limit.
    /// </summary>
    public double PartMaxGrowth { get; init; } = 1;

    /// <summary>The part is answered with the earlier exclude clicks that lie nearer to it than the selection does (true), or with the click alone.</summary>
    public bool PartWithExcludes { get; init; } = true;

    /// <summary>
    /// An exclude click inside the selection whose distance to its edge (the image border counting as edge) is at least
    /// this fraction of the selection's largest inner depth is a hole: its own answer is cut out. 0 = off.
    /// </summary>
    public double HoleMinDepth { get; init; }

    /// <summary>A hole is cut only when it takes at most this share of the selection (more, and the click alone read the whole object).</summary>
    public double HoleMaxShare { get; init; } = 0.5;

    /// <summary>
    /// With a value above 0 (at least 1), a part is answered on its own only when the answer to every click together
    /// grew the selection to more than this many times its area (the decoder jumped to a larger object holding every
    /// click), at the cost of one more decoder run then. 0 = every part is answered on its own at once.
    /// </summary>
    public double PartWhenJointGrows { get; init; }

    /// <summary>
    /// With a value above 0, a hole is answered on its own only when the answer to every click together kept less than
    /// this share of the selection's area. 0 = every hole is cut at once.
    /// </summary>
    public double HoleWhenJointKeeps { get; init; }

    /// <summary>
    /// A part is answered on its own only when the decoder's predicted IoU for the answer the selection came from is at
    /// least this (0..1): a part is added to a selection the model trusts, while the joint answer corrects one it does
    /// not. 0 = whatever the score.
    /// </summary>
    public double PartMinPreviousScore { get; init; }

    /// <summary>The parts and holes off.</summary>
    public static PartClickOptions Default { get; } = new();

    /// <summary>True when a part or a hole can be answered on its own.</summary>
    public bool Enabled => PartMinGap > 0 || HoleMinDepth > 0;

    /// <summary>True when a click of this kind is answered on its own only after the answer to every click together went too far.</summary>
    internal bool ChecksJointAnswer(PartClicks.Kind kind) => kind == PartClicks.Kind.Part ? PartWhenJointGrows > 0 : HoleWhenJointKeeps > 0;

    /// <summary>True when the answer to every click together, of <paramref name="jointArea"/> pixels, went too far from a selection of <paramref name="previousArea"/>.</summary>
    internal bool JointWentTooFar(PartClicks.Kind kind, long previousArea, long jointArea) =>
        kind == PartClicks.Kind.Part ? jointArea > PartWhenJointGrows * previousArea : jointArea < HoleWhenJointKeeps * previousArea;

    internal void Validate()
    {
        if (!(PartMinGap >= 0 && PartMinGap <= 100)) throw new SegArgumentException("part min gap", $"must be 0 (off) or a fraction of the selection's largest inner depth up to 100, got {PartMinGap}");
        if (!(PartMinGapPixels >= 1 && PartMinGapPixels <= 100_000)) throw new SegArgumentException("part min gap pixels", $"must be between 1 and 100000 pixels, got {PartMinGapPixels}");
        if (!(PartMaxGrowth >= 0 && PartMaxGrowth <= 1000)) throw new SegArgumentException("part max growth", $"must be 0 (no limit) or a multiple of the selection's area up to 1000, got {PartMaxGrowth}");
        if (!(HoleMinDepth >= 0 && HoleMinDepth <= 1)) throw new SegArgumentException("hole min depth", $"must be 0 (off) or a fraction of the selection's largest inner depth up to 1, got {HoleMinDepth}");
        if (!(PartWhenJointGrows == 0 || (PartWhenJointGrows >= 1 && PartWhenJointGrows <= 1000))) throw new SegArgumentException("part when joint grows", $"must be 0 (always) or a multiple of the selection's area from 1 to 1000, got {PartWhenJointGrows}");
        if (!(PartMinPreviousScore >= 0 && PartMinPreviousScore <= 1)) throw new SegArgumentException("part min previous score", $"must be between 0 and 1, got {PartMinPreviousScore}");
        if (!(HoleWhenJointKeeps >= 0 && HoleWhenJointKeeps <= 1)) throw new SegArgumentException("hole when joint keeps", $"must be 0 (always) or a share of the selection up to 1, got {HoleWhenJointKeeps}");
        if (!(HoleMaxShare > 0 && HoleMaxShare <= 1)) throw new SegArgumentException("hole max share", $"must be a share of the selection above 0 and at most 1, got {HoleMaxShare}");
    }
}

/// <summary>Decides whether a click is a separate part or a hole (<see cref="PartClickOptions"/>) and combines its answer with the selection.</summary>
internal static class PartClicks
{
    /// <summary>What a click is to the selection before it.</summary>
    internal enum Kind { None, Part, Hole }

    /// <summary>The kind of <paramref name="click"/> against <paramref name="selection"/>, and its distance to the selection's edge in pixels.</summary>
    internal static (Kind Kind, double Distance) Classify(Mask selection, PointPrompt click, PartClickOptions options)
    {
        if (!options.Enabled) return (Kind.None, 0);
        int w = selection.Width, h = selection.Height;
        int cx = Math.Clamp((int)click.X, 0, w - 1), cy = Math.Clamp((int)click.Y, 0, h - 1);
        bool inside = selection.Data[cy * w + cx] != 0;
        if (click.Positive == inside) return (Kind.None, 0); // an include click on the selection or an exclude click off it
        if (click.Positive ? options.PartMinGap <= 0 : options.HoleMinDepth <= 0) return (Kind.None, 0);
        double d = ProgressiveMerge.EdgeDistance(selection, cx, cy, include: click.Positive);
        if (double.IsPositiveInfinity(d)) return (Kind.None, 0); // nothing selected
        if (click.Positive && d < options.PartMinGapPixels) return (Kind.None, d);
        double depth = LargestDepth(selection);
        if (depth == 0) return (Kind.None, d);
        double limit = click.Positive ? options.PartMinGap : options.HoleMinDepth;
        return (d >= limit * depth ? (click.Positive ? Kind.Part : Kind.Hole) : Kind.None, d);
    }

    /// <summary>
    /// The prompt that answers a part or a hole on its own: the click as an include click, and for a part the earlier
    /// exclude clicks nearer to it than <paramref name="distance"/> (with <see cref="PartClickOptions.PartWithExcludes"/>).
    /// </summary>
    internal static PointPrompt[] OwnPrompt(IReadOnlyList<PointPrompt> clicks, Kind kind, double distance, PartClickOptions options)
    {
        var click = clicks[^1];
        var own = new List<PointPrompt> { click with { Positive = true } };
        if (kind == Kind.Part && options.PartWithExcludes)
            for (int i = 0; i < clicks.Count - 1; i++)
            {
                var c = clicks[i];
                double dx = c.X - click.X, dy = c.Y - click.Y;
                if (!c.Positive && dx * dx + dy * dy <= distance * distance) own.Add(c);
            }
        return own.ToArray();
    }

    /// <summary>
    /// The selection with the part united or the hole cut out, or null when the answer does not qualify: it misses the
    /// click, a part grows the selection more than <see cref="PartClickOptions.PartMaxGrowth"/>, a hole takes more than
    /// <see cref="PartClickOptions.HoleMaxShare"/> of it, or the combination contradicts an earlier click.
    /// </summary>
    internal static Mask? Combine(Mask selection, Mask answer, IReadOnlyList<PointPrompt> clicks, Kind kind, PartClickOptions options)
    {
        if (kind == Kind.None) return null;
        var click = clicks[^1];
        if (!SubjectGuidance.Agrees(answer, click with { Positive = true })) return null;
        long before = selection.Area();
        var result = selection.Clone();
        var dst = result.Data;
        var add = answer.Data;
        if (kind == Kind.Part)
        {
            long area = answer.Area();
            if (options.PartMaxGrowth > 0 && area > options.PartMaxGrowth * before) return null;
            ByteOps.Apply(ByteOp.Max, dst, add, dst);
        }
        else
        {
            long cut = 0;
            for (int i = 0; i < dst.Length; i++)
                if (add[i] != 0 && dst[i] != 0) { dst[i] = Mask.Off; cut++; }
            if (cut > options.HoleMaxShare * before) return null;
        }
        foreach (var c in clicks)
            if (!SubjectGuidance.Agrees(result, c)) return null;
        return result;
    }

    /// <summary>The selection's largest inner depth in pixels (distance to the nearest unselected pixel, the image border counting as unselected).</summary>
    internal static double LargestDepth(Mask selection)
    {
        int w = selection.Width, h = selection.Height;
        var d2 = System.Buffers.ArrayPool<float>.Shared.Rent(w * h);
        try
        {
            DistanceTransform.SquaredDistance(selection.Data, w, h, targetIsSet: false, borderIsTarget: true, d2.AsSpan(0, w * h));
            float deepest = 0;
            foreach (var v in d2.AsSpan(0, w * h)) if (v > deepest && v < DistanceTransform.Infinity) deepest = v;
            return Math.Sqrt(deepest);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(d2);
        }
    }
}
