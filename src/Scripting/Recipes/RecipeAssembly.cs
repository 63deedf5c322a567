using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// A compiled recipe loaded into its own collectible <see cref="AssemblyLoadContext"/>. Engine and host types
/// resolve from the default context, so the recipe and the host share <see cref="RecipeGlobals"/> and the Core types.
/// Dispose unloads the context; the memory goes once nothing from the recipe is still referenced.
/// </summary>
internal sealed class RecipeAssembly : IDisposable
{
    private RecipeLoadContext? _context;
    private Func<object?[], Task<object>>? _factory;

    private static int s_live;

    /// <summary>Contexts loaded and not yet unloaded (tests watch this stay flat).</summary>
    public static int LiveContexts => Volatile.Read(ref s_live);

    private RecipeAssembly(RecipeLoadContext context, Func<object?[], Task<object>> factory)
    {
        _context = context;
        _factory = factory;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static RecipeAssembly Load(CompiledRecipe recipe)
    {
        var context = new RecipeLoadContext();
        try
        {
            var asm = context.LoadFromStream(new MemoryStream(recipe.Assembly, writable: false));
            var type = asm.GetType(recipe.EntryType, throwOnError: true)!;
            var method = type.GetMethod(recipe.EntryMethod, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                ?? throw new InvalidOperationException($"compiled recipe has no {recipe.EntryType}.{recipe.EntryMethod}");
            var factory = method.CreateDelegate<Func<object?[], Task<object>>>();
            Interlocked.Increment(ref s_live);
            return new RecipeAssembly(context, factory);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    /// <summary>A weak handle on the load context, for tests proving it is collected after <see cref="Dispose"/>.</summary>
    internal WeakReference ContextReference => new(_context ?? throw new ObjectDisposedException(nameof(RecipeAssembly)));

    /// <summary>
    /// Runs the recipe's top-level code once against <paramref name="globals"/>. The script factory takes the
    /// submission array: slot 0 holds the globals, slot 1 receives the submission itself.
    /// </summary>
    public Task<object> RunAsync(RecipeGlobals globals)
    {
        var factory = _factory ?? throw new ObjectDisposedException(nameof(RecipeAssembly));
        return factory([globals, null]);
    }

    public void Dispose()
    {
        var c = Interlocked.Exchange(ref _context, null);
        _factory = null;
        if (c is null) return;
        c.Unload();
        Interlocked.Decrement(ref s_live);
    }

    private sealed class RecipeLoadContext : AssemblyLoadContext
    {
        public RecipeLoadContext() : base("segplug-recipe", isCollectible: true) { }

        // Null: everything else (runtime, engine, host) comes from the default context, shared with the host.
        protected override Assembly? Load(AssemblyName assemblyName) => null;
    }
}
