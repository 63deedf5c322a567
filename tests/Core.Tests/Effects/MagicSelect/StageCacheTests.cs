using SegPlugins.Core.Effects.MagicSelect.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Effects.MagicSelect;

public sealed class StageCacheTests
{
    [Fact]
    public void AValueIsMadeOncePerKey_AndAgainWhenTheKeyChanges()
    {
        var cache = new StageCache<(string, int), object>();
        int made = 0;
        object Make() { made++; return new object(); }

        var a = cache.GetOrMake(("a", 1), Make);
        Assert.Same(a, cache.GetOrMake(("a", 1), Make));
        Assert.Equal(1, made);
        var b = cache.GetOrMake(("a", 2), Make);
        Assert.NotSame(a, b);
        Assert.Equal(2, made);
        // One slot: going back to the first key makes it again.
        Assert.NotSame(a, cache.GetOrMake(("a", 1), Make));
        Assert.Equal(3, made);
    }

    [Fact]
    public void ReferenceKeysCompareByIdentity_NotByContent()
    {
        var cache = new StageCache<int[], string>();
        var key = new[] { 1, 2 };
        cache.Set(key, "kept");
        Assert.True(cache.TryGet(key, out var v));
        Assert.Equal("kept", v);
        Assert.False(cache.TryGet([1, 2], out _));
    }

    [Fact]
    public void AFailingStage_LeavesNothingStale()
    {
        var cache = new StageCache<int, string>();
        cache.Set(1, "one");
        Assert.Throws<OperationCanceledException>(() => cache.GetOrMake(2, () => throw new OperationCanceledException()));
        Assert.False(cache.TryGet(1, out _));
        Assert.False(cache.TryGet(2, out _));
        Assert.Equal("two", cache.GetOrMake(2, () => "two"));
        cache.Clear();
        Assert.False(cache.TryGet(2, out _));
    }
}
