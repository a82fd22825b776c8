using System.Net;
using System.Text.Json;
using KrxHub.Hosting;
using KrxHub.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>A hub over an empty SQLite store with a given calendar and clock, for the calendar and session tests.</summary>
internal static class CalendarHub
{
    public static async Task<(WebApplication App, HttpClient Client)> StartAsync(TestStore test, Core.KrxCalendar calendar, TimeProvider time)
    {
        var store = await test.OpenAsync();
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false) { Time = time, ShowProgress = false };
        var app = HubApp.Build(options, store, calendar);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address) });
    }

    /// <summary>The status and JSON body of a GET, whatever the status.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
