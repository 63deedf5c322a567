using SegPlugins.Core;
using SegPlugins.Evaluation;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Segmentation;
using Xunit;

namespace SegPlugins.Evaluation.Tests;

public class ClickChainOptionsFileTests
{
    [Fact]
    public void PropertiesLeftOutKeepTheirDefaults()
    {
        var o = ClickChainOptionsFile.Parse("""{ "Feedback": "ModelLogits", "subject": { "MinClickSaliency": 0.8 }, "ClickConsistency": true }""");
        Assert.Equal(FusionFeedback.ModelLogits, o.Feedback);
        Assert.True(o.ClickConsistency);
        Assert.Equal(0.8f, o.Subject.MinClickSaliency);
        Assert.Equal(SubjectGuidanceOptions.Default.SaliencyThreshold, o.Subject.SaliencyThreshold);
        Assert.Equal(CorrectionGuardOptions.Default, o.Guard);
        Assert.Equal(ClickChainOptions.Default with { Feedback = FusionFeedback.ModelLogits, ClickConsistency = true, Subject = o.Subject }, o);
    }

    [Fact]
    public void TheMergeIsReadAsANestedRecord()
    {
        var o = ClickChainOptionsFile.Parse("""{ "Merge": { "FromClick": 3, "EdgeWindow": 2.5, "EdgeDepth": 0.2, "ConnectedOnly": false } }""");
        Assert.Equal(new ProgressiveMergeOptions { FromClick = 3, EdgeWindow = 2.5, EdgeDepth = 0.2, ConnectedOnly = false }, o.Merge);
        Assert.Equal(ProgressiveMergeOptions.Default.MinWindow, o.Merge.MinWindow);
        // The band merge as docs/evaluation.md gives it for --click-options.
        var band = ClickChainOptionsFile.Parse("""{"Merge":{"FromClick":2,"EdgeBand":2,"EdgeDepth":0.25,"IgnoredClickTakesAnswer":true,"ColorFusionOnly":true}}""");
        Assert.Equal(ClickChainOptions.EdgeBandMerge, band.Merge);
    }

    [Fact]
    public void TheSmallObjectGateIsReadAsANestedRecord()
    {
        var o = ClickChainOptionsFile.Parse("""{ "SmallObject": { "Measure": "AnswerMinSide", "Below": 48, "ReturnAbove": 96 } }""");
        Assert.Equal(new SmallObjectGateOptions { Measure = SmallObjectMeasure.AnswerMinSide, Below = 48, ReturnAbove = 96 }, o.SmallObject);
        Assert.Equal(ClickChainOptions.Default.Merge, o.Merge);
        // The measure left out is the default gate's.
        var share = ClickChainOptionsFile.Parse("""{ "SmallObject": { "Below": 0.01, "SubjectAgreementBelow": 0.5, "SubjectAgreementMaxShare": 0.25, "ExcludedSubjectDepth": 0.7, "ExcludedSubjectAgreement": 0.85 } }""");
        Assert.Equal(ClickChainOptions.Default.SmallObject, share.SmallObject);
        var plainMerge = ClickChainOptionsFile.Parse("""{ "PlainMerge": { "FromClick": 2, "EdgeBand": 3, "EdgeDepth": 0.25 } }""");
        Assert.Equal(new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 3, EdgeDepth = 0.25 }, plainMerge.PlainMerge);
        Assert.Equal(ClickChainOptions.Default.Merge, plainMerge.Merge);
        var off = ClickChainOptionsFile.Parse("""{ "SmallObject": { "Below": 0 } }""");
        Assert.False(off.SmallObject.Enabled);
    }

    [Fact]
    public void ThePartsAreReadAsANestedRecord()
    {
        var o = ClickChainOptionsFile.Parse("""{ "Parts": { "PartMinGap": 0.5, "PartMaxGrowth": 2, "HoleMinDepth": 0.6, "PartWithExcludes": false } }""");
        Assert.Equal(new PartClickOptions { PartMinGap = 0.5, PartMaxGrowth = 2, HoleMinDepth = 0.6, PartWithExcludes = false }, o.Parts);
        Assert.Equal(PartClickOptions.Default.HoleMaxShare, o.Parts.HoleMaxShare);
        Assert.False(ClickChainOptions.Default.Parts.Enabled);
    }

    [Theory]
    [InlineData("""{ "Parts": { "PartMinGap": -1 } }""", "part min gap")]
    [InlineData("""{ "Parts": { "HoleMaxShare": 0 } }""", "hole max share")]
    [InlineData("""{ "Parts": { "Gap": 1 } }""", "Gap")]
    [InlineData("""{ "SmallObject": { "Below": 2 } }""", "small object below")]
    [InlineData("""{ "SmallObject": { "Measure": "AnswerMinSide", "Below": 64, "ReturnAbove": 48 } }""", "small object return above")]
    [InlineData("""{ "SmallObject": { "Measure": "Huge" } }""", "Measure")]
    [InlineData("""{ "Merge": { "FromClick": 1 } }""", "merge from click")]
    [InlineData("""{ "Merge": { "EdgeDepth": 1.5 } }""", "merge edge depth")]
    [InlineData("""{ "Merge": { "EdgeBand": 4, "EdgeWindow": 3 } }""", "merge edge band")]
    [InlineData("""{ "GuardKepIoU": 0.5 }""", "GuardKepIoU")]
    [InlineData("""{ "Guard": { "KeptIoU": 1.5 } }""", "guard kept IoU")]
    [InlineData("""{ "Feedback": "Sideways" }""", "Feedback")]
    [InlineData("""[1,2]""", "click-chain options")]
    [InlineData("""null""", "null")]
    public void BadOptionsAreNamed(string json, string expected)
    {
        var e = Assert.Throws<SegArgumentException>(() => ClickChainOptionsFile.Parse(json, "variant.json"));
        Assert.Contains(expected, e.Parameter + " " + e.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<SegArgumentException>(() => ClickChainOptionsFile.Read("/nonexistent/variant.json"));
        Assert.Contains("/nonexistent/variant.json", e.Message);
    }
}
