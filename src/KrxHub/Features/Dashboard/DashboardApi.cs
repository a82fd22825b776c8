using Microsoft.Net.Http.Headers;

namespace KrxHub.Features.Dashboard;

/// <summary>
/// The web dashboard: the Vite bundle built from web/ into wwwroot (committed, copied beside the binary) served at /,
/// with client-side routes (/stocks/005930, /backtests…) answered by index.html. The API's own prefixes never fall
/// back to the page, so an unknown /api/… path stays a 404.
/// </summary>
public static class DashboardApi
{
    private static readonly string[] ApiPrefixes = ["api", "ws", "health", "openapi", "docs"];

    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStaticFiles(new StaticFileOptions
        {
            // Bundle files carry a content hash in their name (assets/…-hash.js), so they never change under one URL.
            OnPrepareResponse = ctx =>
            {
                ctx.Context.Response.Headers[HeaderNames.CacheControl] =
                    ctx.Context.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal)
                        ? "public, max-age=31536000, immutable"
                        : "no-cache";
            },
        });
        foreach (var prefix in ApiPrefixes)
        {
            app.MapFallback($"/{prefix}/{{**rest}}", () => TypedResults.NotFound());
        }

        app.MapFallback((HttpContext context) =>
        {
            var index = app.Environment.WebRootFileProvider.GetFileInfo("index.html");
            var path = context.Request.Path.Value ?? "/";
            // A missing file (/assets/x.js, /favicon.ico) is a 404, not the page.
            var looksLikeFile = path[(path.LastIndexOf('/') + 1)..].Contains('.', StringComparison.Ordinal);
            if (!index.Exists || looksLikeFile || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                return Results.NotFound();
            }

            context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
            return Results.Stream(index.CreateReadStream(), "text/html; charset=utf-8");
        });
        return app;
    }
}
