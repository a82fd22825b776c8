using KrxHub.Features.Access;

namespace KrxHub.Features.Conditions;

/// <summary>
/// The settings of one alert channel as PUT /api/alerts/channels/{channel} takes them and the store keeps them; each channel
/// uses its own fields (<see cref="Fields"/>). Secrets (secret, webhookUrl, botToken, password) never leave through
/// <see cref="ToString"/>.
/// </summary>
public sealed record AlertChannelValues
{
    /// <summary>webhook: where the JSON POST goes.</summary>
    public string? Url { get; init; }

    /// <summary>webhook (secret): the HMAC-SHA256 key of X-KrxHub-Signature; none sends unsigned.</summary>
    public string? Secret { get; init; }

    /// <summary>slack (secret): the incoming-webhook URL, whose path is the secret.</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>telegram (secret).</summary>
    public string? BotToken { get; init; }

    public string? ChatId { get; init; }

    /// <summary>telegram: the Bot API host; none uses KRXHUB_ALERTS__TELEGRAMAPIBASE (https://api.telegram.org).</summary>
    public string? ApiBase { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public string? User { get; init; }

    /// <summary>email (secret).</summary>
    public string? Password { get; init; }

    public bool? StartTls { get; init; }

    public string? From { get; init; }

    /// <summary>email: one address or several separated by commas.</summary>
    public string? To { get; init; }

    /// <summary>Every field of every channel: its channel, its JSON name, whether it is a secret, and its value.</summary>
    public static readonly IReadOnlyList<(string Channel, string Name, bool Secret, Func<AlertChannelValues, object?> Get)> Fields =
    [
        ("webhook", "url", false, v => v.Url), ("webhook", "secret", true, v => v.Secret),
        ("slack", "webhookUrl", true, v => v.WebhookUrl),
        ("telegram", "chatId", false, v => v.ChatId), ("telegram", "apiBase", false, v => v.ApiBase), ("telegram", "botToken", true, v => v.BotToken),
        ("email", "host", false, v => v.Host), ("email", "port", false, v => v.Port), ("email", "startTls", false, v => v.StartTls),
        ("email", "user", false, v => v.User), ("email", "from", false, v => v.From), ("email", "to", false, v => v.To),
        ("email", "password", true, v => v.Password),
    ];

    /// <summary>The channels that have settings (log has none).</summary>
    public static readonly IReadOnlyList<string> SettableChannels = ["webhook", "slack", "telegram", "email"];

    /// <summary>This channel's fields, secrets as "***" (or null when unset).</summary>
    public Dictionary<string, object?> Masked(string channel) =>
        Fields.Where(f => f.Channel == channel).ToDictionary(f => f.Name, f => f.Secret ? AlertSettings.Mask(f.Get(this) as string) : f.Get(this), StringComparer.Ordinal);

    /// <summary>Each secret through <paramref name="transform"/> (seal or open), the other fields as they are.</summary>
    public AlertChannelValues MapSecrets(Func<string, string?> transform) => this with
    {
        Secret = Secret is null ? null : transform(Secret),
        WebhookUrl = WebhookUrl is null ? null : transform(WebhookUrl),
        BotToken = BotToken is null ? null : transform(BotToken),
        Password = Password is null ? null : transform(Password),
    };

    /// <summary>Each secret sealed with <paramref name="box"/> (none: as it is, like the Kiwoom token without a key).</summary>
    public AlertChannelValues Seal(SecretBox? box) => box is null ? this : MapSecrets(box.Seal);

    /// <summary>Each sealed secret opened; null when one does not open (sealed under another key, or no key is set now).</summary>
    public AlertChannelValues? Open(SecretBox? box)
    {
        var failed = false;
        var opened = MapSecrets(s => !SecretBox.IsSealed(s) ? s : box?.Open(s) ?? Failed(ref failed));
        return failed ? null : opened;
    }

    private static string? Failed(ref bool failed)
    {
        failed = true;
        return null;
    }

    /// <summary>The values of <paramref name="channel"/> in effect under <paramref name="settings"/>.</summary>
    public static AlertChannelValues Of(AlertSettings settings, string channel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return channel switch
        {
            "webhook" => new() { Url = settings.WebhookUrl, Secret = settings.WebhookSecret },
            "slack" => new() { WebhookUrl = settings.SlackWebhookUrl },
            "telegram" => new() { BotToken = settings.TelegramBotToken, ChatId = settings.TelegramChatId, ApiBase = settings.TelegramApiBase },
            "email" => new()
            {
                Host = settings.SmtpHost, Port = settings.SmtpPort, StartTls = settings.SmtpStartTls, User = settings.SmtpUser,
                Password = settings.SmtpPassword, From = settings.SmtpFrom, To = settings.SmtpTo,
            },
            _ => new(),
        };
    }

    /// <summary><paramref name="settings"/> with every field of <paramref name="channel"/> replaced by these values (unset ones take the defaults).</summary>
    public AlertSettings ApplyTo(AlertSettings settings, string channel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = new AlertSettings();
        return channel switch
        {
            "webhook" => settings with { WebhookUrl = Url, WebhookSecret = Secret },
            "slack" => settings with { SlackWebhookUrl = WebhookUrl },
            "telegram" => settings with { TelegramBotToken = BotToken, TelegramChatId = ChatId, TelegramApiBase = ApiBase ?? settings.TelegramApiBase },
            "email" => settings with
            {
                SmtpHost = Host, SmtpPort = Port ?? defaults.SmtpPort, SmtpStartTls = StartTls ?? defaults.SmtpStartTls, SmtpUser = User,
                SmtpPassword = Password, SmtpFrom = From, SmtpTo = To,
            },
            _ => settings,
        };
    }

    public override string ToString() =>
        $"AlertChannelValues {{ Url = {Url}, Secret = {AlertSettings.Mask(Secret)}, WebhookUrl = {AlertSettings.Mask(WebhookUrl)}, BotToken = {AlertSettings.Mask(BotToken)}, "
        + $"ChatId = {ChatId}, ApiBase = {ApiBase}, Host = {Host}, Port = {Port}, User = {User}, Password = {AlertSettings.Mask(Password)}, StartTls = {StartTls}, From = {From}, To = {To} }}";
}
