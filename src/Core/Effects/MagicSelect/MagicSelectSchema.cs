using SegPlugins.Core.Inference.Quantization;

namespace SegPlugins.Core.Effects.MagicSelect;

/// <summary>What the effect does with the object it finds.</summary>
public enum MagicSelectOutput
{
    /// <summary>Keeps the object; the rest of the selection becomes transparent.</summary>
    KeepObject,
    /// <summary>Makes the object transparent; the rest stays.</summary>
    EraseObject,
    /// <summary>Paints the object with the primary colour.</summary>
    FillObjectWithPrimary,
    /// <summary>The mask itself: white object on black.</summary>
    ShowMask,
    /// <summary>Puts the object on the secondary colour.</summary>
    ReplaceBackgroundWithSecondary,
    /// <summary>Blurs everything but the object.</summary>
    BlurBackground,
}

/// <summary>Which model finds the object.</summary>
public enum MagicSelectModel
{
    /// <summary>MobileSAM from the model store (fetched and verified on first use).</summary>
    MobileSam,
    /// <summary>A SAM-family encoder and decoder chosen as files.</summary>
    CustomFiles,
}

/// <summary>The magic-select effect's properties, in display order. Hosts map each 1:1 to a native property.</summary>
public static class MagicSelectSchema
{
    public const int IncludePointCount = 3;
    public const int ExcludePointCount = 2;

    public const string UseSelectionBox = "UseSelectionBox";
    public const string SubjectGuide = "SubjectGuide";
    public const string RefineColors = "RefineColors";
    public const string Model = "Model";
    public const string Precision = "Precision";
    public const string EncoderFile = "EncoderFile";
    public const string DecoderFile = "DecoderFile";
    public const string Output = "Output";
    public const string GrowShrink = "GrowShrink";
    public const string Feather = "Feather";
    public const string RefineEdges = "RefineEdges";
    public const string RefineHair = "RefineHair";
    public const string BackgroundBlur = "BackgroundBlur";

    public static string IncludePoint(int i) => $"Include{i}";
    public static string IncludeOn(int i) => $"Include{i}On";
    public static string ExcludePoint(int i) => $"Exclude{i}";
    public static string ExcludeOn(int i) => $"Exclude{i}On";

    /// <summary>Default positions: the first include point at the centre (and on), the others spread out (off).</summary>
    private static readonly PanPoint[] IncludeDefaults = [new(0, 0), new(-0.4, 0), new(0.4, 0)];
    private static readonly PanPoint[] ExcludeDefaults = [new(0, -0.8), new(0, 0.8)];

    public static IReadOnlyList<EffectProperty> Properties { get; } = Build();

    public static EffectProperty Find(string name)
    {
        foreach (var p in Properties) if (p.Name == name) return p;
        throw new SegArgumentException("property", $"'{name}' is not a magic-select property");
    }

    private static List<EffectProperty> Build()
    {
        var list = new List<EffectProperty>();
        for (int i = 1; i <= IncludePointCount; i++)
        {
            list.Add(EffectProperty.Bool(IncludeOn(i), $"Include point {i}", i == 1));
            list.Add(EffectProperty.Point(IncludePoint(i), $"Include point {i} position", IncludeDefaults[i - 1],
                new EnabledWhen(IncludeOn(i), true), i == 1 ? "Place on the object you want" : null));
        }
        for (int i = 1; i <= ExcludePointCount; i++)
        {
            list.Add(EffectProperty.Bool(ExcludeOn(i), $"Exclude point {i}", false));
            list.Add(EffectProperty.Point(ExcludePoint(i), $"Exclude point {i} position", ExcludeDefaults[i - 1],
                new EnabledWhen(ExcludeOn(i), true), i == 1 ? "Place on a part that must stay out" : null));
        }
        list.Add(EffectProperty.Bool(UseSelectionBox, "Use selection bounds as box", true,
            description: "The selection's bounding rectangle frames the object (ignored when nothing is selected)"));
        list.Add(EffectProperty.Bool(SubjectGuide, "Read the first point as the whole object", true,
            description: "A salient-object model decides whether include point 1 means a part or the whole object (when no selection box frames it)"));
        list.Add(EffectProperty.Bool(RefineColors, "Refine with the image's colours", true,
            description: "Colour models of the object and its surroundings correct the model's outline (fewer points needed)"));
        list.Add(EffectProperty.Choice(Model, "Model", MagicSelectModel.MobileSam, new Dictionary<MagicSelectModel, string>
        {
            [MagicSelectModel.MobileSam] = "MobileSAM (downloaded on first use)",
            [MagicSelectModel.CustomFiles] = "Custom encoder and decoder files",
        }));
        list.Add(EffectProperty.Choice(Precision, "Encoder precision", ModelPrecision.Fp32, new Dictionary<ModelPrecision, string>
        {
            [ModelPrecision.Fp32] = "Full (float32)",
            [ModelPrecision.Int8] = "Fast (int8, made once from the float32 model)",
        }));
        var custom = new EnabledWhen(Model, MagicSelectModel.CustomFiles);
        list.Add(EffectProperty.File(EncoderFile, "Encoder (.onnx)", custom));
        list.Add(EffectProperty.File(DecoderFile, "Decoder (.onnx)", custom));
        list.Add(EffectProperty.Choice(Output, "Output", MagicSelectOutput.KeepObject, new Dictionary<MagicSelectOutput, string>
        {
            [MagicSelectOutput.KeepObject] = "Keep object (rest transparent)",
            [MagicSelectOutput.EraseObject] = "Erase object",
            [MagicSelectOutput.FillObjectWithPrimary] = "Fill object with primary colour",
            [MagicSelectOutput.ShowMask] = "Show mask (black and white)",
            [MagicSelectOutput.ReplaceBackgroundWithSecondary] = "Replace background with secondary colour",
            [MagicSelectOutput.BlurBackground] = "Blur background",
        }));
        list.Add(EffectProperty.Int(GrowShrink, "Grow (+) / shrink (-), px", 0, -MaxGrowShrink, MaxGrowShrink));
        list.Add(EffectProperty.Int(Feather, "Feather, px", 0, 0, MaxFeather));
        list.Add(EffectProperty.Bool(RefineEdges, "Refine edges against the image", false,
            description: "Guided-filter refinement: soft edges follow hair and fine detail"));
        list.Add(EffectProperty.Bool(RefineHair, "Refine edges (hair)", false,
            description: "An alpha matte around the object's edge with the object's own colours in hair and fur (replaces feather)"));
        list.Add(EffectProperty.Int(BackgroundBlur, "Background blur, px", 12, 1, MaxBlur,
            new EnabledWhen(Output, MagicSelectOutput.BlurBackground)));
        return list;
    }

    public const int MaxGrowShrink = 100;
    public const int MaxFeather = 100;
    public const int MaxBlur = 200;
}
