using SegPlugins.Core.Effects;
using SegPlugins.Core.Effects.MagicSelect;
using Xunit;
using S = SegPlugins.Core.Effects.MagicSelect.MagicSelectSchema;

namespace SegPlugins.Core.Tests.Effects.MagicSelect;

public class MagicSelectSchemaTests
{
    [Fact]
    public void SchemaHasSwitchablePointsAndEveryControlTheEffectNeeds()
    {
        var props = S.Properties;
        Assert.Equal(props.Count, props.Select(p => p.Name).Distinct().Count());
        Assert.True(S.IncludePointCount >= 3 && S.ExcludePointCount >= 2);
        for (int i = 1; i <= S.IncludePointCount; i++)
        {
            Assert.Equal(EffectPropertyKind.Point, S.Find(S.IncludePoint(i)).Kind);
            Assert.Equal(EffectPropertyKind.Bool, S.Find(S.IncludeOn(i)).Kind);
            Assert.Equal(new EnabledWhen(S.IncludeOn(i), true), S.Find(S.IncludePoint(i)).EnabledWhen);
        }
        for (int i = 1; i <= S.ExcludePointCount; i++)
        {
            Assert.Equal(EffectPropertyKind.Point, S.Find(S.ExcludePoint(i)).Kind);
            Assert.False((bool)S.Find(S.ExcludeOn(i)).Default);
        }
        var output = S.Find(S.Output);
        Assert.Equal(typeof(MagicSelectOutput), output.ChoiceType);
        Assert.Equal(Enum.GetValues<MagicSelectOutput>().Length, output.ChoiceNames!.Count);
        Assert.Equal(MagicSelectModel.MobileSam, S.Find(S.Model).Default);
        var grow = S.Find(S.GrowShrink);
        Assert.Equal(EffectPropertyKind.IntRange, grow.Kind);
        Assert.True((int)grow.Min! < 0 && (int)grow.Max! > 0);
        Assert.Equal(EffectPropertyKind.Bool, S.Find(S.RefineEdges).Kind);
        Assert.Equal(EffectPropertyKind.Bool, S.Find(S.UseSelectionBox).Kind);
        Assert.Equal(new EnabledWhen(S.Model, MagicSelectModel.CustomFiles), S.Find(S.EncoderFile).EnabledWhen);
        foreach (var p in props.Where(p => p.Kind == EffectPropertyKind.Point))
        {
            Assert.Equal(new PanPoint(-1, -1), p.Min);
            Assert.Equal(new PanPoint(1, 1), p.Max);
        }
        // Every property's default has the type its kind promises.
        foreach (var p in props)
        {
            Type expected = p.Kind switch
            {
                EffectPropertyKind.Point => typeof(PanPoint),
                EffectPropertyKind.Bool => typeof(bool),
                EffectPropertyKind.IntRange => typeof(int),
                EffectPropertyKind.Choice => p.ChoiceType!,
                _ => typeof(string),
            };
            Assert.IsType(expected, p.Default);
        }
    }

    [Fact]
    public void SettingsFromNoValuesAreTheSchemaDefaults()
    {
        var s = MagicSelectSettings.FromValues(new Dictionary<string, object?>());
        Assert.Equal(MagicSelectSettings.Default, s);
        Assert.True(s.Include[0].On);
        Assert.Equal(new PanPoint(0, 0), s.Include[0].At);
        Assert.False(s.Include[1].On);
        Assert.All(s.Exclude, p => Assert.False(p.On));
        Assert.True(s.UseSelectionBox);
        Assert.Equal(MagicSelectOutput.KeepObject, s.Output);
        Assert.Equal(12, s.BackgroundBlur);
    }

    [Fact]
    public void SettingsHaveValueEquality()
    {
        var values = new Dictionary<string, object?>
        {
            [S.IncludePoint(2)] = (0.25, -0.5),
            [S.IncludeOn(2)] = true,
            [S.Output] = "BlurBackground",
            [S.GrowShrink] = -3,
            [S.Model] = 0,
        };
        var a = MagicSelectSettings.FromValues(values);
        var b = MagicSelectSettings.FromValues(new Dictionary<string, object?>(values));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(new PanPoint(0.25, -0.5), a.Include[1].At);
        Assert.Equal(MagicSelectOutput.BlurBackground, a.Output);
        Assert.Equal(-3, a.GrowShrink);

        values[S.IncludePoint(2)] = new PanPoint(0.25, -0.49);
        Assert.NotEqual(a, MagicSelectSettings.FromValues(values));
        values[S.IncludePoint(2)] = (0.25, -0.5);
        values[S.Feather] = 2;
        Assert.NotEqual(a, MagicSelectSettings.FromValues(values));
    }

    [Theory]
    [InlineData("GrowShrink", 101)]
    [InlineData("Feather", -1)]
    [InlineData("BackgroundBlur", 0)]
    [InlineData("Output", "Sparkle")]
    [InlineData("Output", 42)]
    [InlineData("UseSelectionBox", "yes")]
    public void BadValuesNameTheProperty(string name, object value)
    {
        var e = Assert.Throws<SegArgumentException>(() => MagicSelectSettings.FromValues(new Dictionary<string, object?> { [name] = value }));
        Assert.Equal(name, e.Parameter);
    }

    [Fact]
    public void PointsOutsideThePanRangeAreRejected()
    {
        var e = Assert.Throws<SegArgumentException>(() =>
            MagicSelectSettings.FromValues(new Dictionary<string, object?> { [S.ExcludePoint(1)] = new PanPoint(0, 1.5) }));
        Assert.Equal(S.ExcludePoint(1), e.Parameter);
        Assert.Throws<SegArgumentException>(() =>
            MagicSelectSettings.FromValues(new Dictionary<string, object?> { [S.IncludePoint(1)] = new PanPoint(double.NaN, 0) }));
    }

    [Theory]
    [InlineData(-1, -1, 0, 0)]
    [InlineData(1, 1, 600, 400)]
    [InlineData(0, 0, 300, 200)]
    [InlineData(-0.5, 0.5, 150, 300)]
    [InlineData(1, -1, 600, 0)]
    public void PanCoordinatesMapTheUnitSquareOntoTheImage(double u, double v, float x, float y)
    {
        var (px, py) = PanCoordinates.ToPixel(new PanPoint(u, v), 600, 400);
        Assert.Equal(x, px, 3);
        Assert.Equal(y, py, 3);
        var back = PanCoordinates.FromPixel(px, py, 600, 400);
        Assert.Equal(u, back.X, 6);
        Assert.Equal(v, back.Y, 6);
    }

    [Fact]
    public void PanCoordinatesClampAndRejectNonFinite()
    {
        Assert.Equal((600f, 0f), PanCoordinates.ToPixel(new PanPoint(3, -7), 600, 400));
        Assert.Throws<SegArgumentException>(() => PanCoordinates.ToPixel(new PanPoint(double.PositiveInfinity, 0), 600, 400));
        Assert.Throws<SegArgumentException>(() => PanCoordinates.ToPixel(new PanPoint(0, 0), 0, 400));
        // The spoon of the coffee photo, as a host would store it.
        var spoon = PanCoordinates.FromPixel(362, 290, 600, 400);
        Assert.Equal((362f, 290f), PanCoordinates.ToPixel(spoon, 600, 400));
    }
}
