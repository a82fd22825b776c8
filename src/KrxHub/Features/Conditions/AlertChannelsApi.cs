using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Conditions;

/// <summary>
/// One alert channel as GET /api/alerts/channels shows it: whether it can send, where its settings come from ("api", "env",
/// "builtin" for log, or null), its fields with every secret as "***" (or null when unset), and why an API setting is unusable.
/// </summary>
public sealed record AlertChannelDto(string Channel, bool Configured, string? Source, bool EnvironmentConfigured,
    IReadOnlyDictionary<string, object?> Settings, DateTimeOffset? UpdatedAt, string? Error);

/// <summary>What a test message over a channel came to: sent, or the channel's error (secrets masked).</summary>
public sealed record AlertChannelTestDto(string Channel, string? Source, bool Ok, string? Error, double ElapsedMs);

/// <summary>Alert channel settings through the API: list, set (overriding the environment per channel), drop, and test.</summary>
public static class AlertChannelsApi
{
    /// <summary>How long a test message may take (MailKit's own timeout is two minutes).</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    public static RouteGroupBuilder MapAlertChannels(this RouteGroupBuilder alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        alerts.MapGet("/channels", ListAsync).WithSummary("Every alert channel: configured or not, from env or api, secrets masked");
        alerts.MapPut("/channels/{channel}", PutAsync)
            .WithSummary("Set a channel through the API (overrides its KRXHUB_ALERTS__ settings); an omitted secret keeps the stored one, \"\" removes it");
        alerts.MapDelete("/channels/{channel}", DeleteAsync).WithSummary("Drop a channel's API settings: the environment's apply again");
        alerts.MapPost("/channels/{channel}/test", TestAsync).WithSummary("Send a test message through a channel now and report the outcome");
        return alerts;
    }

    private static async Task<Ok<List<AlertChannelDto>>> ListAsync(AlertChannelConfig config, CancellationToken ct)
    {
        var state = await config.CurrentAsync(ct);
        return TypedResults.Ok(AlertSettings.AllChannels.Select(c => Describe(c, state, config.Environment)).ToList());
    }

    private static async Task<Results<Ok<AlertChannelDto>, ValidationProblem, NotFound>> PutAsync(
        string channel, AlertChannelValues request, AlertChannelConfig config, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Unknown(channel) is { } missing)
        {
            return missing;
        }

        if (!AlertChannelValues.SettableChannels.Contains(channel))
        {
            return ApiErrors.BadParameter("channel", $"'{channel}' has no settings; set one of {string.Join(", ", AlertChannelValues.SettableChannels)}");
        }

        var stored = (await config.CurrentAsync(ct)).Api.GetValueOrDefault(channel)?.Values;
        if (AlertChannelRules.Merge(channel, request, stored, out var merged) is { } problem)
        {
            return problem;
        }

        await config.SaveAsync(channel, merged, ct);
        loggers.CreateLogger(typeof(AlertChannelsApi)).LogInformation("alert channel {Channel} set through the API: {Values}", channel,
            string.Join(", ", merged.Masked(channel).Where(f => f.Value is not null).Select(f => $"{f.Key}={f.Value}")));
        return TypedResults.Ok(Describe(channel, await config.CurrentAsync(ct), config.Environment));
    }

    private static async Task<Results<NoContent, NotFound, ValidationProblem>> DeleteAsync(string channel, AlertChannelConfig config, CancellationToken ct)
    {
        if (Unknown(channel) is { } missing)
        {
            return missing;
        }

        return await config.DeleteAsync(channel, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<AlertChannelTestDto>, NotFound, ProblemHttpResult>> TestAsync(
        string channel, AlertChannelConfig config, AlertChannels channels, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        if (Unknown(channel) is { } missing)
        {
            return missing;
        }

        var state = await config.CurrentAsync(ct);
        var described = Describe(channel, state, config.Environment);
        if (!described.Configured)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Channel not configured",
                detail: described.Error ?? $"'{channel}' is not configured: PUT /api/alerts/channels/{channel} or set its KRXHUB_ALERTS__ variables");
        }

        var now = time.GetUtcNow();
        var message = $"[KrxHub 테스트] {channel} 알림 채널 시험 메시지 ({now:yyyy-MM-dd HH:mm:ss} UTC)";
        var payload = JsonSerializer.Serialize(new { test = true, channel, message, at = now });
        var delivery = new AlertDelivery(channel, $"krxhub-test-{Guid.NewGuid():N}", message, payload);
        var started = time.GetTimestamp();
        string? error = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TestTimeout);
        try
        {
            await channels.SendAsync(delivery, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"no answer within {TestTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = Scrub(e.Message.ReplaceLineEndings(" "), AlertChannelValues.Of(state.Effective, channel));
        }

        loggers.CreateLogger(typeof(AlertChannelsApi)).LogInformation("alert channel {Channel} tested: {Outcome}", channel, error ?? "sent");
        return TypedResults.Ok(new AlertChannelTestDto(channel, described.Source, error is null, error, time.GetElapsedTime(started).TotalMilliseconds));
    }

    private static NotFound? Unknown(string channel) => AlertSettings.AllChannels.Contains(channel) ? null : TypedResults.NotFound();

    private static AlertChannelDto Describe(string channel, AlertChannelState state, AlertSettings environment)
    {
        var fromEnvironment = environment.Configured.Contains(channel);
        var api = state.Api.GetValueOrDefault(channel);
        var source = channel == "log" ? "builtin" : api is not null ? "api" : fromEnvironment ? "env" : null;
        return new AlertChannelDto(channel, state.Effective.Configured.Contains(channel), source, fromEnvironment,
            AlertChannelValues.Of(state.Effective, channel).Masked(channel), api?.UpdatedAt, api?.Error);
    }

    /// <summary>The error text with every secret of the channel (and a Slack URL's path) replaced by ***.</summary>
    private static string Scrub(string text, AlertChannelValues values)
    {
        var secrets = AlertChannelValues.Fields.Where(f => f.Secret).Select(f => f.Get(values) as string).OfType<string>().Where(s => s.Length > 0).ToList();
        if (values.WebhookUrl is { } slack && Uri.TryCreate(slack, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1)
        {
            secrets.Add(uri.AbsolutePath);
        }

        return secrets.OrderByDescending(s => s.Length).Aggregate(text, (t, s) => t.Replace(s, "***", StringComparison.Ordinal));
    }
}
