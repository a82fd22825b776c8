using MimeKit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Conditions;

/// <summary>What PUT /api/alerts/channels/{channel} accepts: each channel's own fields, URLs over http(s), a port, e-mail addresses.</summary>
public static class AlertChannelRules
{
    private const int MaxLength = 2_000;

    /// <summary>
    /// The values to store: the request's, each omitted (null) secret kept from <paramref name="stored"/> and an empty one
    /// removed; or a 400 naming the first bad field.
    /// </summary>
    public static ValidationProblem? Merge(string channel, AlertChannelValues request, AlertChannelValues? stored, out AlertChannelValues merged)
    {
        ArgumentNullException.ThrowIfNull(request);
        merged = request;
        if (AlertChannelValues.Fields.FirstOrDefault(f => f.Channel != channel && f.Get(request) is not null) is { Name: { } foreign })
        {
            var own = AlertChannelValues.Fields.Where(f => f.Channel == channel).Select(f => f.Name);
            return ApiErrors.BadParameter(foreign, $"'{foreign}' is not a setting of {channel}; its settings are {string.Join(", ", own)}");
        }

        if (AlertChannelValues.Fields.FirstOrDefault(f => f.Get(request) is string { Length: > MaxLength }) is { Name: { } tooLong })
        {
            return ApiErrors.BadParameter(tooLong, $"{tooLong} is longer than {MaxLength} characters");
        }

        merged = new AlertChannelValues
        {
            Url = Clean(request.Url),
            Secret = Keep(request.Secret, stored?.Secret),
            WebhookUrl = Keep(request.WebhookUrl, stored?.WebhookUrl),
            BotToken = Keep(request.BotToken, stored?.BotToken),
            ChatId = Clean(request.ChatId),
            ApiBase = Clean(request.ApiBase),
            Host = Clean(request.Host),
            Port = request.Port,
            User = Clean(request.User),
            Password = Keep(request.Password, stored?.Password),
            StartTls = request.StartTls,
            From = Clean(request.From),
            To = Clean(request.To),
        };
        return channel switch
        {
            "webhook" => HttpUrl("url", merged.Url, required: true),
            "slack" => HttpUrl("webhookUrl", merged.WebhookUrl, required: true),
            "telegram" => Telegram(merged),
            _ => Email(merged),
        };
    }

    private static ValidationProblem? Telegram(AlertChannelValues v)
    {
        if (v.BotToken is null || v.BotToken.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#'))
        {
            return ApiErrors.BadParameter("botToken", "botToken is required (the token @BotFather gave, e.g. 123456:ABC-DEF…), without spaces or slashes");
        }

        return v.ChatId is null ? ApiErrors.BadParameter("chatId", "chatId is required (e.g. -1001234567890 or @channelname)")
            : HttpUrl("apiBase", v.ApiBase, required: false);
    }

    private static ValidationProblem? Email(AlertChannelValues v)
    {
        if (v.Host is null || Uri.CheckHostName(v.Host) == UriHostNameType.Unknown)
        {
            return ApiErrors.BadParameter("host", $"host must be the SMTP server's name or address{(v.Host is null ? string.Empty : $", not '{v.Host}'")}");
        }

        if (v.Port is < 1 or > 65_535)
        {
            return ApiErrors.BadParameter("port", $"port must be 1..65535, not {v.Port}");
        }

        if (!IsAddress(v.From))
        {
            return ApiErrors.BadParameter("from", $"from must be one e-mail address{(v.From is null ? string.Empty : $", not '{v.From}'")}");
        }

        var to = (v.To ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (to.Length == 0)
        {
            return ApiErrors.BadParameter("to", "to is required: one e-mail address or several separated by commas");
        }

        if (to.FirstOrDefault(a => !IsAddress(a)) is { } bad)
        {
            return ApiErrors.BadParameter("to", $"'{bad}' is not an e-mail address");
        }

        return v.Password is not null && v.User is null ? ApiErrors.BadParameter("user", "a password needs its user") : null;
    }

    private static bool IsAddress(string? text) =>
        text is not null && MailboxAddress.TryParse(text, out var mailbox) && mailbox.Address.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
        && at < mailbox.Address.Length - 1;

    private static ValidationProblem? HttpUrl(string name, string? text, bool required)
    {
        if (text is null)
        {
            return required ? ApiErrors.BadParameter(name, $"{name} is required (an http or https URL)") : null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? null
            : ApiErrors.BadParameter(name, $"{name} must be an absolute http or https URL");
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>An omitted secret keeps the stored one; an empty one removes it.</summary>
    private static string? Keep(string? requested, string? stored) => requested is null ? stored : Clean(requested);
}
