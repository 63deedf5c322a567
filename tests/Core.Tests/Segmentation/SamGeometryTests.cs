using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Tests.Segmentation;

public class SamGeometryTests
{
    [Theory]
    // Hand-computed: scale = 1024 / max(w,h); side' = int(side*scale + 0.5).
    [InlineData(640, 480, 1024, 768)]     // 480*1.6 = 768
    [InlineData(481, 321, 1024, 683)]     // 321*2.12890625 = 683.379 -> 683
    [InlineData(451, 300, 1024, 681)]     // 300*2.270509... = 681.15 -> 681
    [InlineData(1, 1, 1024, 1024)]
    [InlineData(1025, 1, 1024, 1)]        // 1*0.999 + 0.5 -> 1
    [InlineData(3000, 4000, 768, 1024)]
    [InlineData(4000, 3000, 1024, 768)]
    [InlineData(2048, 3, 1024, 2)]        // 3*0.5 = 1.5 + 0.5 = 2.0 -> rounds half up
    [InlineData(2048, 5, 1024, 3)]        // 2.5 + 0.5 = 3.0 -> 3 (not banker's rounding)
    [InlineData(1024, 1024, 1024, 1024)]
    [InlineData(300, 2000, 154, 1024)]    // 300*0.512 = 153.6 -> 154
    public void ResizedSizeFollowsTheReferenceRounding(int w, int h, int ew, int eh)
    {
        var t = SamTransform.For(w, h);
        Assert.Equal(ew, t.ResizedWidth);
        Assert.Equal(eh, t.ResizedHeight);
    }

    [Fact]
    public void PointsScalePerAxisByTheRoundedSize()
    {
        var t = SamTransform.For(481, 321); // 1024 x 683
        Assert.Equal(1024f * 100 / 481, t.MapX(100), 4);
        Assert.Equal(683f * 100 / 321, t.MapY(100), 4); // 212.77, not 100 * 1024/481 = 212.89
        Assert.NotEqual(t.MapX(100), t.MapY(100), 2);
    }

    [Fact]
    public void PointsOnlyGetThePaddingPoint()
    {
        var t = SamTransform.For(640, 480);
        SamSession.BuildPromptTensors(PromptSet.FromPoints(PointPrompt.Include(10, 20), PointPrompt.Exclude(100, 200)), t, out var c, out var l);
        Assert.Equal(new float[] { 16, 32, 160, 320, 0, 0 }, c);
        Assert.Equal(new float[] { 1, 0, -1 }, l);
    }

    [Fact]
    public void BoxBecomesTwoCornerPointsWithoutPadding()
    {
        var t = SamTransform.For(640, 480);
        SamSession.BuildPromptTensors(new PromptSet { Points = [PointPrompt.Include(5, 5)], Box = new BoxXyxy(10, 20, 300, 400) }, t, out var c, out var l);
        Assert.Equal(new float[] { 8, 8, 16, 32, 480, 640 }, c);
        Assert.Equal(new float[] { 1, 2, 3 }, l);
    }

    [Theory]
    // decoder points = user points + padding, or + 2 box corners.
    [InlineData(2, MaskChoice.Auto, 2)]     // one click: best of 1-3 (index 2 scores 0.9)
    [InlineData(3, MaskChoice.Auto, 0)]     // two clicks, or click + box: single-mask token
    [InlineData(3, MaskChoice.BestProposal, 2)]
    [InlineData(2, MaskChoice.SingleToken, 0)]
    public void MaskChoiceFollowsTheSingleMaskExportRule(int decoderPoints, MaskChoice choice, int expected)
    {
        float[] scores = [0.95f, 0.5f, 0.9f, 0.7f];
        Assert.Equal(expected, SamSession.ChooseIndex(scores, decoderPoints, choice));
    }

    [Fact]
    public void MaskChoiceTiesGoToTheFirstProposal()
    {
        Assert.Equal(1, SamSession.ChooseIndex([0.1f, 0.8f, 0.8f, 0.8f], 2, MaskChoice.Auto));
        Assert.Equal(0, SamSession.ChooseIndex([0.3f], 2, MaskChoice.Auto));
    }

    public static TheoryData<PromptSet, string> BadPrompts => new()
    {
        { new PromptSet(), "no point or box" },
        { PromptSet.FromPoints(PointPrompt.Include(float.NaN, 3)), "point[0]" },
        { PromptSet.FromPoints(PointPrompt.Include(5, 5), PointPrompt.Include(101, 5)), "point[1]" },
        { PromptSet.FromPoints(PointPrompt.Include(-1, 5)), "outside the image" },
        { PromptSet.FromBox(new BoxXyxy(50, 10, 40, 20)), "x1 < x0" },
        { PromptSet.FromBox(new BoxXyxy(10, 10, 20, float.PositiveInfinity)), "finite" },
        { PromptSet.FromBox(new BoxXyxy(0, 0, 100, 51)), "outside the image" },
        { new PromptSet { Points = [PointPrompt.Include(1, 1)], MaskInput = new LogitMap(64, 64) }, "256x256" },
    };

    [Theory]
    [MemberData(nameof(BadPrompts))]
    public void BadPromptsGetAClearError(PromptSet prompts, string expected)
    {
        var e = Assert.Throws<SegArgumentException>(() => prompts.Validate(100, 50));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PromptsOnTheImageEdgeAreAccepted()
    {
        // The edges are inside (0..width, 0..height, inclusive); a hair beyond either is refused.
        var edge = new PromptSet { Points = [PointPrompt.Include(100, 50), PointPrompt.Include(0, 0)], Box = new BoxXyxy(0, 0, 100, 50) };
        Assert.Null(Record.Exception(() => edge.Validate(100, 50)));
        Assert.Throws<SegArgumentException>(() => (edge with { Points = [PointPrompt.Include(100.01f, 50)] }).Validate(100, 50));
        Assert.Throws<SegArgumentException>(() => (edge with { Box = new BoxXyxy(-0.01f, 0, 100, 50) }).Validate(100, 50));
    }
}
