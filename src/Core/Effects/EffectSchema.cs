namespace SegPlugins.Core.Effects;

/// <summary>What kind of control a host shows for an effect property.</summary>
public enum EffectPropertyKind
{
    /// <summary>
    /// A point on the image, as a <see cref="PanPoint"/> in normalised pan coordinates (-1..1 on both axes,
    /// see <see cref="PanCoordinates"/>). Paint.NET: DoubleVectorProperty with the pan control.
    /// </summary>
    Point,

    /// <summary>On/off. Paint.NET: BooleanProperty (check box).</summary>
    Bool,

    /// <summary>Whole number between <see cref="EffectProperty.Min"/> and <see cref="EffectProperty.Max"/>. Paint.NET: Int32Property (slider).</summary>
    IntRange,

    /// <summary>One value of the enum <see cref="EffectProperty.ChoiceType"/>. Paint.NET: StaticListChoiceProperty (drop-down).</summary>
    Choice,

    /// <summary>A file path, empty when unset. Paint.NET: StringProperty with the file chooser.</summary>
    FilePath,
}

/// <summary>A point in pan coordinates: X and Y in -1..1, (-1,-1) the top-left corner, (1,1) the bottom-right.</summary>
public readonly record struct PanPoint(double X, double Y);

/// <summary>
/// Makes a property read-only (greyed out) unless <see cref="Source"/> holds <see cref="Value"/> (a bool or an enum
/// value). Paint.NET: ReadOnlyBoundToBooleanRule / ReadOnlyBoundToValueRule with inverse = true.
/// </summary>
public sealed record EnabledWhen(string Source, object Value);

/// <summary>
/// One host-neutral property descriptor. Default, Min and Max are typed by <see cref="Kind"/>:
/// Point → <see cref="PanPoint"/>, Bool → bool, IntRange → int, Choice → a value of <see cref="ChoiceType"/>,
/// FilePath → string.
/// </summary>
public sealed record EffectProperty
{
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    public required EffectPropertyKind Kind { get; init; }
    public required object Default { get; init; }
    public object? Min { get; init; }
    public object? Max { get; init; }

    /// <summary>The enum type of a <see cref="EffectPropertyKind.Choice"/> property.</summary>
    public Type? ChoiceType { get; init; }

    /// <summary>Display names of the choices, keyed by enum value.</summary>
    public IReadOnlyDictionary<object, string>? ChoiceNames { get; init; }

    public EnabledWhen? EnabledWhen { get; init; }

    /// <summary>One line of help shown under the control, or null.</summary>
    public string? Description { get; init; }

    public static EffectProperty Point(string name, string display, PanPoint def, EnabledWhen? when = null, string? description = null) => new()
    {
        Name = name, DisplayName = display, Kind = EffectPropertyKind.Point, Default = def,
        Min = new PanPoint(-1, -1), Max = new PanPoint(1, 1), EnabledWhen = when, Description = description,
    };

    public static EffectProperty Bool(string name, string display, bool def, EnabledWhen? when = null, string? description = null) => new()
    {
        Name = name, DisplayName = display, Kind = EffectPropertyKind.Bool, Default = def, EnabledWhen = when, Description = description,
    };

    public static EffectProperty Int(string name, string display, int def, int min, int max, EnabledWhen? when = null, string? description = null) => new()
    {
        Name = name, DisplayName = display, Kind = EffectPropertyKind.IntRange, Default = def, Min = min, Max = max,
        EnabledWhen = when, Description = description,
    };

    public static EffectProperty Choice<T>(string name, string display, T def, IReadOnlyDictionary<T, string> names, EnabledWhen? when = null, string? description = null)
        where T : struct, Enum
    {
        var boxed = new Dictionary<object, string>();
        foreach (var v in Enum.GetValues<T>())
            boxed[v] = names.TryGetValue(v, out var n) ? n : v.ToString();
        return new()
        {
            Name = name, DisplayName = display, Kind = EffectPropertyKind.Choice, Default = def, ChoiceType = typeof(T),
            ChoiceNames = boxed, EnabledWhen = when, Description = description,
        };
    }

    public static EffectProperty File(string name, string display, EnabledWhen? when = null, string? description = null) => new()
    {
        Name = name, DisplayName = display, Kind = EffectPropertyKind.FilePath, Default = "", EnabledWhen = when, Description = description,
    };
}
