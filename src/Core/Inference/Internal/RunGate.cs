namespace SegPlugins.Core.Inference.Internal;

/// <summary>
/// Lets any number of model runs overlap (ONNX Runtime documents concurrent <c>Run</c> calls on one session as safe)
/// but never overlap with disposing the session: <see cref="Close"/> waits for the runs in flight, and later runs get
/// <see cref="ObjectDisposedException"/> instead of touching freed native memory. A run's lease also covers reading
/// its outputs, which live in the session's allocator.
/// </summary>
internal sealed class RunGate(string what)
{
    private readonly object _lock = new();
    private int _active;
    private bool _closed;

    public int Active { get { lock (_lock) return _active; } }

    public Lease Enter()
    {
        lock (_lock)
        {
            if (_closed) throw new ObjectDisposedException(what, $"{what} was closed; open the model again to run it");
            _active++;
        }
        return new Lease(this);
    }

    /// <summary>Refuses new runs and waits for the running ones. True the first time (the caller then frees the session).</summary>
    public bool Close()
    {
        lock (_lock)
        {
            if (_closed) return false;
            _closed = true;
            while (_active > 0) Monitor.Wait(_lock);
            return true;
        }
    }

    private void Exit()
    {
        lock (_lock)
        {
            if (--_active == 0 && _closed) Monitor.PulseAll(_lock);
        }
    }

    public readonly struct Lease : IDisposable
    {
        private readonly RunGate? _gate;
        internal Lease(RunGate gate) => _gate = gate;
        public void Dispose() => _gate?.Exit();
    }
}
