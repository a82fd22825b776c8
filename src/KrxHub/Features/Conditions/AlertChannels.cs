using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using KrxHub.Storage;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace KrxHub.Features.Conditions;

/// <summary>One message to deliver over one channel: an outbox alert, or the test message of POST /api/alerts/channels/{channel}/test.</summary>
public sealed record AlertDelivery(string Channel, string IdempotencyKey, string Message, string Payload)
{
    public static AlertDelivery From(OutboxAlert alert) => new(alert.Channel, alert.IdempotencyKey, alert.Message, alert.Payload);
}

/// <summary>
/// Delivers one alert over its channel with the settings in effect (<see cref="AlertChannelConfig"/>: a channel changed
/// through the API is used without a restart); throws on failure (the sender retries with backoff).
/// </summary>
public sealed class AlertChannels(AlertChannelConfig config, IHttpClientFactory http, ILogger<AlertChannels> logger)
{
    public const string SignatureHeader = "X-KrxHub-Signature";
    public const string IdempotencyHeader = "X-KrxHub-Idempotency-Key";

    public Task SendAsync(OutboxAlert alert, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return SendAsync(AlertDelivery.From(alert), ct);
    }

    public async Task SendAsync(AlertDelivery alert, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var settings = (await config.CurrentAsync(ct)).Effective;
        switch (alert.Channel)
        {
            case "log":
                logger.LogInformation("alert {Key}: {Message}", alert.IdempotencyKey, alert.Message);
                break;
            case "webhook":
                await WebhookAsync(settings, alert, ct);
                break;
            case "slack":
                await PostAsync(Require(settings.SlackWebhookUrl, "KRXHUB_ALERTS__SLACKWEBHOOKURL"), JsonContent.Create(new { text = alert.Message }), alert, ct);
                break;
            case "telegram":
                var url = $"{settings.TelegramApiBase.TrimEnd('/')}/bot{Require(settings.TelegramBotToken, "KRXHUB_ALERTS__TELEGRAMBOTTOKEN")}/sendMessage";
                await PostAsync(url, JsonContent.Create(new { chat_id = Require(settings.TelegramChatId, "KRXHUB_ALERTS__TELEGRAMCHATID"), text = alert.Message }), alert, ct);
                break;
            case "email":
                await EmailAsync(settings, alert, ct);
                break;
            default:
                throw new InvalidOperationException($"unknown channel '{alert.Channel}'");
        }
    }

    /// <summary>sha256=hex(HMAC-SHA256(secret, body)): what the receiver recomputes over the raw body.</summary>
    public static string Signature(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private async Task WebhookAsync(AlertSettings settings, AlertDelivery alert, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(alert.Payload);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (settings.WebhookSecret is { Length: > 0 } secret)
        {
            content.Headers.Add(SignatureHeader, Signature(secret, body));
        }

        await PostAsync(Require(settings.WebhookUrl, "KRXHUB_ALERTS__WEBHOOKURL"), content, alert, ct);
    }

    private async Task PostAsync(string url, HttpContent content, AlertDelivery alert, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add(IdempotencyHeader, alert.IdempotencyKey);
        using var client = http.CreateClient("alerts");
        using var response = await client.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            // The URL of Slack and Telegram carries the secret: the error names the channel, never the URL.
            throw new HttpRequestException($"{alert.Channel} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    private static async Task EmailAsync(AlertSettings settings, AlertDelivery alert, CancellationToken ct)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(Require(settings.SmtpFrom, "KRXHUB_ALERTS__SMTPFROM")));
        foreach (var to in Require(settings.SmtpTo, "KRXHUB_ALERTS__SMTPTO").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = alert.Message.Split('\n')[0];
        message.MessageId = $"{alert.IdempotencyKey}@krxhub";
        message.Headers.Add(IdempotencyHeader, alert.IdempotencyKey);
        message.Body = new TextPart("plain") { Text = alert.Message };
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(Require(settings.SmtpHost, "KRXHUB_ALERTS__SMTPHOST"), settings.SmtpPort,
            settings.SmtpStartTls ? SecureSocketOptions.StartTlsWhenAvailable : SecureSocketOptions.None, ct);
        if (settings.SmtpUser is { Length: > 0 } user)
        {
            await smtp.AuthenticateAsync(user, settings.SmtpPassword ?? string.Empty, ct);
        }

        await smtp.SendAsync(message, ct);
        await smtp.DisconnectAsync(true, ct);
    }

    private static string Require(string? value, string variable) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{variable} is not set, nor the channel through the API") : value;
}
