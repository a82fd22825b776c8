namespace KrxHub.Features.Conditions;

/// <summary>
/// Alert channels and delivery (KRXHUB_ALERTS__…, listed in .env.example). A channel is usable when its settings are
/// present; "log" always is. Secrets (tokens, passwords, webhook secrets) are never printed: see <see cref="ToString"/>.
/// </summary>
public sealed record AlertSettings
{
    public const string SectionName = "Alerts";

    /// <summary>Generic webhook: JSON POST with X-KrxHub-Signature: sha256=HMAC-SHA256(body, WebhookSecret) in hex.</summary>
    public string? WebhookUrl { get; init; }

    public string? WebhookSecret { get; init; }

    /// <summary>Slack incoming webhook URL (its path is the secret).</summary>
    public string? SlackWebhookUrl { get; init; }

    public string? TelegramBotToken { get; init; }

    public string? TelegramChatId { get; init; }

    /// <summary>The Telegram Bot API host (a setting so tests and proxies can point elsewhere).</summary>
    public string TelegramApiBase { get; init; } = "https://api.telegram.org";

    public string? SmtpHost { get; init; }

    public int SmtpPort { get; init; } = 587;

    public string? SmtpUser { get; init; }

    public string? SmtpPassword { get; init; }

    /// <summary>STARTTLS when the server offers it (false: plain, e.g. a local relay).</summary>
    public bool SmtpStartTls { get; init; } = true;

    public string? SmtpFrom { get; init; }

    public string? SmtpTo { get; init; }

    /// <summary>Attempts before an alert is dead-lettered (retry it with POST /api/alerts/{id}/retry).</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>The same condition, stock, event and channel alert once within this many seconds.</summary>
    public int DedupeWindowSeconds { get; init; } = 600;

    public TimeSpan DedupeWindow => TimeSpan.FromSeconds(DedupeWindowSeconds);

    /// <summary>The channels whose settings are complete.</summary>
    public IReadOnlyList<string> Configured => [.. new[]
    {
        ("log", true),
        ("webhook", WebhookUrl is not null),
        ("slack", SlackWebhookUrl is not null),
        ("telegram", TelegramBotToken is not null && TelegramChatId is not null),
        ("email", SmtpHost is not null && SmtpFrom is not null && SmtpTo is not null),
    }.Where(c => c.Item2).Select(c => c.Item1)];

    public static readonly IReadOnlyList<string> AllChannels = ["log", "webhook", "slack", "telegram", "email"];

    public string? Validate() =>
        MaxAttempts is < 1 or > 100 ? "KRXHUB_ALERTS__MAXATTEMPTS must be 1..100"
        : DedupeWindowSeconds is < 0 or > 86_400 ? "KRXHUB_ALERTS__DEDUPEWINDOWSECONDS must be 0..86400"
        : null;

    public override string ToString() =>
        $"AlertSettings {{ Channels = {string.Join(",", Configured)}, WebhookUrl = {WebhookUrl}, WebhookSecret = {Mask(WebhookSecret)}, SlackWebhookUrl = {Mask(SlackWebhookUrl)}, TelegramBotToken = {Mask(TelegramBotToken)}, SmtpHost = {SmtpHost}, SmtpPassword = {Mask(SmtpPassword)} }}";

    public static string? Mask(string? secret) => secret is null ? null : "***";
}
