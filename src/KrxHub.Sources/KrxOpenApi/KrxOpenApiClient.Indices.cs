using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Sources.Import;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// The Open API's index service: <c>GET {OpenApiUrl}/{KospiIndexPath|KosdaqIndexPath}?basDd=yyyyMMdd</c>, answered with
/// <c>{"OutBlock_1": [...]}</c>, one record per index of the series on that day: <c>BAS_DD, IDX_NM, CLSPRC_IDX, OPNPRC_IDX,
/// HGPRC_IDX, LWPRC_IDX, ACC_TRDVOL, ACC_TRDVAL, MKTCAP</c> (the data system's MDCSTAT00301 names; UNCONFIRMED for the Open
/// API, as are the paths). Records are matched to KRX codes by name (<see cref="KrxOpenApiOptions.IndexNames"/>); the others
/// are left out.
/// </summary>
public sealed partial class KrxOpenApiClient
{
    /// <summary>
    /// The configured indices (KOSPI, KOSPI 200, KOSDAQ …) on <paramref name="date"/>, both series. Throws
    /// <see cref="KrxNoDataException"/> when KRX has no rows for the day, <see cref="KrxPayloadException"/> for an answer of
    /// another day or the wrong shape.
    /// </summary>
    public async Task<ParsedRecords<IndexBar>> GetIndexBarsAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var names = KrxOpenApiOptions.ParseIndexNames(_options.IndexNames)!;
        var bars = new List<IndexBar>();
        var rejected = new List<RejectedRecord>();
        foreach (var path in new[] { _options.KospiIndexPath, _options.KosdaqIndexPath })
        {
            var p = path.Trim('/');
            var basDd = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            var request = $"Open API {p} basDd={basDd}";
            var url = _options.Url(p) + "?basDd=" + basDd;
            var answer = await _http.ExecuteAsync(request, ct => FetchAsync(request, url, ct), cancellationToken);
            var fetchedAt = _time.GetUtcNow();
            using var document = OpenBody(request, answer, out var records);
            var byIndex = new Dictionary<string, List<(long, string, Dictionary<string, string?>)>>(StringComparer.Ordinal);
            var line = 0L;
            foreach (var r in records.EnumerateArray())
            {
                line++;
                if (r.ValueKind != JsonValueKind.Object || KrxJsonBody.Text(r, "IDX_NM")?.Trim() is not { } name || !names.TryGetValue(name, out var code))
                {
                    continue;
                }

                var fields = r.EnumerateObject().ToDictionary(f => f.Name, f => KrxJsonBody.Text(r, f.Name), StringComparer.Ordinal);
                if (KrxText.TryDate(KrxJsonBody.Text(r, "BAS_DD"), out var day) == FieldStatus.Ok && day != date)
                {
                    throw new KrxPayloadException(request, $"the answer is of another day (BAS_DD {day:yyyy-MM-dd}), not {date:yyyy-MM-dd}");
                }

                (byIndex.TryGetValue(code, out var list) ? list : byIndex[code] = []).Add((line, r.GetRawText(), fields));
            }

            foreach (var (code, list) in byIndex)
            {
                var parsed = IndexFiles.ReadBars(code, list, Source, fetchedAt);
                bars.AddRange(parsed.Records);
                rejected.AddRange(parsed.Rejected);
            }

            _logger.LogInformation("KRX {Request}: {Indices} of the configured indices", request, byIndex.Count);
        }

        return new ParsedRecords<IndexBar>(bars, rejected);
    }
}
