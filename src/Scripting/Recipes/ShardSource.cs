using System.Globalization;
using SegPlugins.Core;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Which slice of the inputs a run takes: <c>--shard K/N</c> when given; otherwise a Slurm array task
/// (<c>SLURM_ARRAY_TASK_ID</c> counted from <c>SLURM_ARRAY_TASK_MIN</c> in steps of <c>SLURM_ARRAY_TASK_STEP</c>, of
/// <c>SLURM_ARRAY_TASK_COUNT</c>) or a Kubernetes Indexed Job pod (<c>JOB_COMPLETION_INDEX</c>, with the count from
/// <c>--shard-count</c> or <see cref="CountVariable"/>, since Kubernetes does not tell a pod its completions);
/// otherwise every input.
/// </summary>
internal static class ShardSource
{
    /// <summary>The variable a Kubernetes manifest sets to the Job's completions when it does not pass --shard-count.</summary>
    public const string CountVariable = "SEGPLUG_SHARD_COUNT";

    public static (int K, int N)? Resolve((int K, int N)? explicitShard, int? shardCount, Func<string, string?> env, out string? how)
    {
        how = null;
        if (explicitShard is { } s)
        {
            how = $"shard {s.K}/{s.N} (--shard)";
            return s;
        }
        if (env("SLURM_ARRAY_TASK_ID") is { } taskId)
        {
            int id = Int(taskId, "SLURM_ARRAY_TASK_ID", 0);
            int count = Int(env("SLURM_ARRAY_TASK_COUNT") ?? throw Missing("SLURM_ARRAY_TASK_COUNT", "is not set while SLURM_ARRAY_TASK_ID is"), "SLURM_ARRAY_TASK_COUNT", 1);
            int min = env("SLURM_ARRAY_TASK_MIN") is { } m ? Int(m, "SLURM_ARRAY_TASK_MIN", 0) : 0;
            int step = env("SLURM_ARRAY_TASK_STEP") is { } st ? Int(st, "SLURM_ARRAY_TASK_STEP", 1) : 1;
            if ((id - min) % step != 0 || (id - min) / step >= count || id < min)
                throw Missing("SLURM_ARRAY_TASK_ID", $"{id} is not one of {count} tasks from {min} in steps of {step}; pass --shard K/N");
            int k = (id - min) / step + 1;
            how = $"shard {k}/{count} from the Slurm array task {id} (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)";
            return (k, count);
        }
        if (env("JOB_COMPLETION_INDEX") is { } index)
        {
            int i = Int(index, "JOB_COMPLETION_INDEX", 0);
            int n = shardCount ?? (env(CountVariable) is { } c ? Int(c, CountVariable, 1)
                : throw Missing("--shard-count", $"JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of slices is not: pass --shard-count N or set {CountVariable} to the Job's completions"));
            if (i >= n) throw Missing("JOB_COMPLETION_INDEX", $"{i} is not below the slice count {n}");
            how = $"shard {i + 1}/{n} from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX {i}, count from {(shardCount is null ? CountVariable : "--shard-count")})";
            return (i + 1, n);
        }
        if (shardCount is not null)
            throw Missing("--shard-count", "applies to Kubernetes Indexed Jobs, and JOB_COMPLETION_INDEX is not set; use --shard K/N");
        return null;
    }

    private static int Int(string text, string name, int min) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min ? v
        : throw Missing(name, $"expected a whole number of at least {min}, got \"{text}\"");

    private static SegArgumentException Missing(string name, string message) => new(name, message);
}
