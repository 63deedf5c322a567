using System.Runtime.CompilerServices;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

/// <summary>Runs alone: GC.GetTotalMemory is process-wide, so parallel tests' allocations would blur the measurement.</summary>
[CollectionDefinition(nameof(LoadContextTests), DisableParallelization = true)]
public sealed class LoadContextIsolation;

[Collection(nameof(LoadContextTests))]
public sealed class LoadContextTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    [Fact]
    public async Task HundredsOfRuns_UnloadEveryContext_AndMemoryStaysFlat()
    {
        string recipe = _ws.Write("t.csx", "var list = new List<int>(); for (int i = 0; i < 100; i++) list.Add(i); Log(list.Sum().ToString());\n");
        _ws.Image("a.png");
        var compiled = new RecipeCompiler(_ws.Cache).Compile(RecipeSource.Load(recipe), false).Recipe!;
        var host = Host();
        var input = new RecipeInput(Path.Combine(_ws.Root, "a.png"), "a.png", 1);

        // Warm up once so one-time runtime allocations do not count as growth.
        var warm = await RunOnce(compiled, host, input);
        Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);

        const int Runs = 300;
        var contexts = new List<WeakReference>(Runs);
        for (int i = 0; i < Runs; i++) contexts.Add(await RunOnce(compiled, host, input));
        Collect();
        long after = GC.GetTotalMemory(forceFullCollection: true);

        int alive = contexts.Count(w => w.IsAlive);
        Assert.Equal(0, alive);
        Assert.False(warm.IsAlive);
        Assert.Equal(0, RecipeAssembly.LiveContexts);
        // Each context holds its assembly image and runtime type data; 300 leaked would be tens of MB.
        Assert.True(after - before < 8 * 1024 * 1024, $"managed heap grew by {after - before} bytes over {Runs} runs");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunOnce(CompiledRecipe compiled, RecipeHost host, RecipeInput input)
    {
        using var asm = RecipeAssembly.Load(compiled);
        var weak = asm.ContextReference;
        var r = await RecipeRunner.RunItemAsync(asm, host, input, CancellationToken.None);
        Assert.Equal(RecipeStatus.Success, r.Status);
        return weak;
    }

    private static void Collect()
    {
        for (int i = 0; i < 10; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private RecipeHost Host() => new()
    {
        OutputDir = _ws.Out,
        Args = new Dictionary<string, string>(),
        FileSystem = RecipeFileSystem.Instance,
        Codec = new TextImageCodec(),
        ProtectedPaths = new HashSet<string>(),
    };
}
