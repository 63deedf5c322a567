using S = SegPlugins.Core.Effects.MagicSelect.MagicSelectSchema;

namespace SegPlugins.Core.Effects.MagicSelect;

/// <summary>One prompt point of the effect: where it is (pan coordinates) and whether it is switched on.</summary>
public readonly record struct EffectPoint(PanPoint At, bool On);

/// <summary>
/// The effect's settings, validated once when built; immutable with value equality (two settings with the same
/// values are equal, so a host can tell whether anything changed).
/// </summary>
public sealed record MagicSelectSettings
{
    public MagicSelectSettings(
        IEnumerable<EffectPoint> include,
        IEnumerable<EffectPoint> exclude,
        bool useSelectionBox = true,
        MagicSelectModel model = MagicSelectModel.MobileSam,
        string? encoderFile = null,
        string? decoderFile = null,
        MagicSelectOutput output = MagicSelectOutput.KeepObject,
        int growShrink = 0,
        int feather = 0,
        bool refineEdges = false,
        int backgroundBlur = 12,
        bool subjectGuide = true,
        bool refineColors = true)
    {
        Include = new ValueList<EffectPoint>(include ?? throw new SegArgumentException("include points", "is null"));
        Exclude = new ValueList<EffectPoint>(exclude ?? throw new SegArgumentException("exclude points", "is null"));
        for (int i = 0; i < Include.Count; i++) CheckPoint(Include[i].At, S.IncludePoint(i + 1));
        for (int i = 0; i < Exclude.Count; i++) CheckPoint(Exclude[i].At, S.ExcludePoint(i + 1));
        if (!Enum.IsDefined(model)) throw new SegArgumentException(S.Model, $"unknown model {(int)model}; expected MobileSam or CustomFiles");
        if (!Enum.IsDefined(output)) throw new SegArgumentException(S.Output, $"unknown output mode {(int)output}; expected one of {string.Join(", ", Enum.GetNames<MagicSelectOutput>())}");
        CheckRange(growShrink, -S.MaxGrowShrink, S.MaxGrowShrink, S.GrowShrink);
        CheckRange(feather, 0, S.MaxFeather, S.Feather);
        CheckRange(backgroundBlur, 1, S.MaxBlur, S.BackgroundBlur);
        UseSelectionBox = useSelectionBox;
        Model = model;
        EncoderFile = encoderFile ?? "";
        DecoderFile = decoderFile ?? "";
        Output = output;
        GrowShrink = growShrink;
        Feather = feather;
        RefineEdges = refineEdges;
        BackgroundBlur = backgroundBlur;
        SubjectGuide = subjectGuide;
        RefineColors = refineColors;
    }

    public ValueList<EffectPoint> Include { get; }
    public ValueList<EffectPoint> Exclude { get; }
    public bool UseSelectionBox { get; }
    public MagicSelectModel Model { get; }
    public string EncoderFile { get; }
    public string DecoderFile { get; }
    public MagicSelectOutput Output { get; }

    /// <summary>Pixels to grow (positive) or shrink (negative) the object mask by.</summary>
    public int GrowShrink { get; }

    /// <summary>Soft edge width in pixels (0 = hard edge).</summary>
    public int Feather { get; }

    public bool RefineEdges { get; }

    /// <summary>
    /// Read include point 1 with the salient-object model (u2netp), as "this object" rather than a part of it, when no
    /// selection box is given. Measured on GrabCut: see SubjectGuidance and the README's evaluation section.
    /// </summary>
    public bool SubjectGuide { get; }

    /// <summary>
    /// Refine every answer with the image's colours, the points and the box (<see cref="Refinement.ColorRefiner"/>), and
    /// read the next point from the refined selection. Measured on GrabCut: see the README's evaluation section.
    /// </summary>
    public bool RefineColors { get; }

    /// <summary>Blur strength (Gaussian σ in pixels) for <see cref="MagicSelectOutput.BlurBackground"/>.</summary>
    public int BackgroundBlur { get; }

    /// <summary>The schema's defaults.</summary>
    public static MagicSelectSettings Default { get; } = FromValues(new Dictionary<string, object?>());

    /// <summary>
    /// Builds settings from host property values keyed by <see cref="MagicSelectSchema"/> names. Missing names take
    /// the schema default. Points may be <see cref="PanPoint"/> or a (double, double) tuple; choices the enum value,
    /// its name, or its number.
    /// </summary>
    public static MagicSelectSettings FromValues(IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var include = new EffectPoint[S.IncludePointCount];
        for (int i = 1; i <= include.Length; i++)
            include[i - 1] = new EffectPoint(GetPoint(values, S.IncludePoint(i)), GetBool(values, S.IncludeOn(i)));
        var exclude = new EffectPoint[S.ExcludePointCount];
        for (int i = 1; i <= exclude.Length; i++)
            exclude[i - 1] = new EffectPoint(GetPoint(values, S.ExcludePoint(i)), GetBool(values, S.ExcludeOn(i)));
        return new MagicSelectSettings(
            include, exclude,
            GetBool(values, S.UseSelectionBox),
            GetChoice<MagicSelectModel>(values, S.Model),
            GetString(values, S.EncoderFile),
            GetString(values, S.DecoderFile),
            GetChoice<MagicSelectOutput>(values, S.Output),
            GetInt(values, S.GrowShrink),
            GetInt(values, S.Feather),
            GetBool(values, S.RefineEdges),
            GetInt(values, S.BackgroundBlur),
            GetBool(values, S.SubjectGuide),
            GetBool(values, S.RefineColors));
    }

    private static object? Raw(IReadOnlyDictionary<string, object?> values, string name) =>
        values.TryGetValue(name, out var v) && v is not null ? v : S.Find(name).Default;

    private static PanPoint GetPoint(IReadOnlyDictionary<string, object?> values, string name) => Raw(values, name) switch
    {
        PanPoint p => p,
        ValueTuple<double, double> t => new PanPoint(t.Item1, t.Item2),
        var v => throw new SegArgumentException(name, $"expected a point (two numbers in -1..1), got {v?.GetType().Name}"),
    };

    private static bool GetBool(IReadOnlyDictionary<string, object?> values, string name) => Raw(values, name) is bool b ? b
        : throw new SegArgumentException(name, $"expected true or false, got {Raw(values, name)?.GetType().Name}");

    private static int GetInt(IReadOnlyDictionary<string, object?> values, string name) => Raw(values, name) switch
    {
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        double d when d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        var v => throw new SegArgumentException(name, $"expected a whole number, got {v}"),
    };

    private static string GetString(IReadOnlyDictionary<string, object?> values, string name) => Raw(values, name) is string s ? s.Trim()
        : throw new SegArgumentException(name, $"expected a file path, got {Raw(values, name)?.GetType().Name}");

    private static T GetChoice<T>(IReadOnlyDictionary<string, object?> values, string name) where T : struct, Enum
    {
        var v = Raw(values, name);
        if (v is T t) return t;
        if (v is string s && Enum.TryParse<T>(s, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)) return parsed;
        if (v is int n && Enum.IsDefined(typeof(T), n)) return (T)Enum.ToObject(typeof(T), n);
        throw new SegArgumentException(name, $"'{v}' is not one of {string.Join(", ", Enum.GetNames<T>())}");
    }

    private static void CheckPoint(PanPoint p, string name)
    {
        if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || p.X < -1 || p.X > 1 || p.Y < -1 || p.Y > 1)
            throw new SegArgumentException(name, $"({p.X},{p.Y}) is outside the pan range; expected x and y in -1..1");
    }

    private static void CheckRange(int v, int min, int max, string name)
    {
        if (v < min || v > max) throw new SegArgumentException(name, $"must be {min}..{max}, got {v}");
    }
}
