using SegPlugins.Core.Tests.Support;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.TestHost;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;
using SegPlugins.Scripting.Serve;

namespace SegPlugins.Scripting.Tests.Serve;

/// <summary>segplug serve in process on the in-memory test server, over the fixture models or real MobileSAM.</summary>
internal sealed class ServeHarness : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private ServeHarness(SelectionServer server, HttpClient client)
    {
        Server = server;
        Client = client;
    }

    public SelectionServer Server { get; }

    /// <summary>A client that sends the right token (and Host: localhost).</summary>
    public HttpClient Client { get; }

    public static string Fixture(string rel) => Path.Combine(AppContext.BaseDirectory, "fixtures", rel);

    /// <param name="subjectGuide">The server's first-click prior (on in <c>segplug serve</c>); off here, where the API's
    /// mechanics are compared with the plain click path, unless a test is about the prior.</param>
    public static async Task<ServeHarness> StartAsync(bool realModel = false, int maxImages = 8, string[]? images = null, long maxImageBytes = 256L << 20,
        bool subjectGuide = false)
    {
        string enc = Fixture("models/sam_encoder_input_output.onnx"), dec = Fixture("models/sam_decoder_multi.onnx");
        var engine = new EngineOptions { Device = ExecutionDevice.Cpu, EmbeddingCacheBytes = maxImages * (4L << 20) };
        var model = realModel ? new ModelArgs(ModelIds.Default, null, null, ExecutionDevice.Cpu) : new ModelArgs(null, enc, dec, ExecutionDevice.Cpu);
        var options = new ServeOptions(images ?? [], "127.0.0.1", 0, model, Token, false) { MaxImages = maxImages, MaxImageBytes = maxImageBytes, SubjectGuide = subjectGuide };
        var sam = realModel ? await SamSession.OpenAsync(ModelIds.Default, engine) : SamSession.Open(enc, dec, engine);
        var server = await SelectionServer.StartAsync(options, sam, ct => SubjectSelector.OpenAsync(engine, null, ct), TextWriter.Null, w => w.UseTestServer());
        var client = server.App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new ServeHarness(server, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

}
