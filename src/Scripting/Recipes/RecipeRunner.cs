using System.Diagnostics;
using System.Reflection;
using SegPlugins.Core;

namespace SegPlugins.Scripting.Recipes;

/// <summary>Runs a loaded recipe over one input: stage outputs, commit on success, remove them on failure or cancel.</summary>
internal static class RecipeRunner
{
    public static async Task<RecipeResult> RunItemAsync(RecipeAssembly recipe, RecipeHost host, RecipeInput input, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var outputs = new StagedOutputs(host, input);
        var globals = new RecipeGlobals(host, input, outputs, ct);
        try
        {
            ct.ThrowIfCancellationRequested();
            await Task.Run(async () =>
            {
                // Set inside the task so the value belongs to this item's execution context only.
                RecipeRuntime.Current = ct;
                await recipe.RunAsync(globals).ConfigureAwait(false);
            }, CancellationToken.None).ConfigureAwait(false);
            // A recipe that finished just as the run was stopped is not kept: a stopped run commits nothing new.
            ct.ThrowIfCancellationRequested();
            var written = outputs.Commit();
            return new RecipeResult(RecipeStatus.Success, input.FullPath, written, null, [], sw.Elapsed);
        }
        catch (Exception e) when (IsCancellation(e) && ct.IsCancellationRequested)
        {
            outputs.Rollback();
            return new RecipeResult(RecipeStatus.Cancelled, input.FullPath, [], "cancelled", [], sw.Elapsed);
        }
        catch (Exception e)
        {
            outputs.Rollback();
            return new RecipeResult(RecipeStatus.Faulted, input.FullPath, [], Describe(e), [], sw.Elapsed);
        }
        finally
        {
            globals.ReleaseSession();
        }
    }

    /// <summary>Cancellation, also when it surfaces from several threads the recipe started (Parallel.For).</summary>
    private static bool IsCancellation(Exception e) => Unwrap(e) switch
    {
        OperationCanceledException => true,
        AggregateException a => a.Flatten().InnerExceptions.All(i => i is OperationCanceledException),
        _ => false,
    };

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            else if (e is TargetInvocationException { InnerException: { } t }) e = t;
            else return e;
        }
    }

    /// <summary>The message for the summary: engine errors as they are (they name file and parameter), others with their type, plus the recipe line.</summary>
    internal static string Describe(Exception e)
    {
        e = Unwrap(e);
        string msg = e is SegException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        string? where = RecipeLocation(e);
        return where is null ? msg : $"{msg} (at {where})";
    }

    private static string? RecipeLocation(Exception e)
    {
        foreach (var frame in new StackTrace(e, fNeedFileInfo: true).GetFrames())
        {
            string? file = frame.GetFileName();
            if (file is not null && file.EndsWith(".csx", StringComparison.OrdinalIgnoreCase) && frame.GetFileLineNumber() > 0)
                return $"{Path.GetFileName(file)}:{frame.GetFileLineNumber()}";
        }
        return null;
    }
}
