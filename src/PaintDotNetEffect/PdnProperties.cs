using PaintDotNet;
using PaintDotNet.Effects;
using PaintDotNet.IndirectUI;
using PaintDotNet.PropertySystem;
using SegPlugins.Core.Effects;

namespace SegPlugins.PaintDotNetEffect;

/// <summary>Maps Core's host-neutral property descriptors 1:1 to Paint.NET properties, rules and controls.</summary>
internal static class PdnProperties
{
    public static Property Create(EffectProperty p) => p.Kind switch
    {
        EffectPropertyKind.Point => new DoubleVectorProperty(p.Name,
            Pair.Create(((PanPoint)p.Default).X, ((PanPoint)p.Default).Y),
            Pair.Create(((PanPoint)p.Min!).X, ((PanPoint)p.Min!).Y),
            Pair.Create(((PanPoint)p.Max!).X, ((PanPoint)p.Max!).Y)),
        EffectPropertyKind.Bool => new BooleanProperty(p.Name, (bool)p.Default),
        EffectPropertyKind.IntRange => new Int32Property(p.Name, (int)p.Default, (int)p.Min!, (int)p.Max!),
        EffectPropertyKind.Choice => new StaticListChoiceProperty(p.Name, Choices(p), Array.IndexOf(Choices(p), p.Default)),
        EffectPropertyKind.FilePath => new StringProperty(p.Name, (string)p.Default, 4096),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p.Kind, "unknown property kind"),
    };

    /// <summary>Read-only unless the source property holds the value (inverse = true turns "read-only when equal" around).</summary>
    public static PropertyCollectionRule Rule(string target, EnabledWhen when) => when.Value is bool b
        ? new ReadOnlyBoundToBooleanRule(target, when.Source, b)
        : new ReadOnlyBoundToValueRule<object, StaticListChoiceProperty>(target, when.Source, when.Value, true);

    public static void Configure(ControlInfo ui, EffectProperty p)
    {
        switch (p.Kind)
        {
            case EffectPropertyKind.Bool:
                // A check box shows its Description next to the box; the heading stays empty.
                ui.SetPropertyControlValue(p.Name, ControlInfoPropertyNames.DisplayName, string.Empty);
                ui.SetPropertyControlValue(p.Name, ControlInfoPropertyNames.Description, p.DisplayName);
                return;
            case EffectPropertyKind.Point:
                ui.SetPropertyControlType(p.Name, PropertyControlType.PanAndSlider);
                break;
            case EffectPropertyKind.Choice:
                PropertyControlInfo control = ui.FindControlForPropertyName(p.Name)!;
                foreach (var (value, text) in p.ChoiceNames!) control.SetValueDisplayName(value, text);
                break;
            case EffectPropertyKind.FilePath:
                ui.SetPropertyControlType(p.Name, PropertyControlType.FileChooser);
                break;
        }
        ui.SetPropertyControlValue(p.Name, ControlInfoPropertyNames.DisplayName, p.DisplayName);
        if (p.Description is { } d) ui.SetPropertyControlValue(p.Name, ControlInfoPropertyNames.Description, d);
    }

    public static object? Read(PropertyBasedEffectConfigToken token, EffectProperty p) => p.Kind switch
    {
        EffectPropertyKind.Point => ToPan(token.GetProperty<DoubleVectorProperty>(p.Name)!.Value),
        EffectPropertyKind.Bool => token.GetProperty<BooleanProperty>(p.Name)!.Value,
        EffectPropertyKind.IntRange => token.GetProperty<Int32Property>(p.Name)!.Value,
        EffectPropertyKind.Choice => token.GetProperty<StaticListChoiceProperty>(p.Name)!.Value,
        EffectPropertyKind.FilePath => token.GetProperty<StringProperty>(p.Name)!.Value,
        _ => null,
    };

    private static PanPoint ToPan(Pair<double, double> v) => new(v.First, v.Second);

    private static object[] Choices(EffectProperty p)
    {
        var values = Enum.GetValues(p.ChoiceType!);
        var result = new object[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values.GetValue(i)!;
        return result;
    }
}
