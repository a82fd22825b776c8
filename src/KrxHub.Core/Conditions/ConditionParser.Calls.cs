namespace KrxHub.Core.Conditions;

/// <summary>Binding a function call: the investor type, the series arguments and the constant parameters, each checked with its column.</summary>
public sealed partial class ConditionParser
{
    private static CallNode Bind(ConditionFunction function, Token name, List<(ConditionNode Node, Token Start)> arguments, Token close)
    {
        var usage = Usage(function);
        var index = 0;
        string? investor = null;
        if (function.TakesInvestor)
        {
            if (arguments.Count == 0 || arguments[0].Node is not TextLiteral typeName)
            {
                throw new ConditionException(arguments.Count == 0 ? close.Column : arguments[0].Start.Column, $"{usage}: the first argument is an investor type, e.g. foreign");
            }

            var normalized = typeName.Value.Replace('_', '-');
            if (!InvestorTypes.TryParse(normalized, out var type))
            {
                throw new ConditionException(typeName.Column, $"unknown investor type '{typeName.Value}'; one of individual, foreign, other_foreign, institution, financial_investment, insurance, trust, private_fund, bank, other_finance, pension, state, other_corporation");
            }

            investor = type.Name();
            index = 1;
        }

        var series = new List<ConditionNode>();
        for (var s = 0; s < function.Series; s++, index++)
        {
            if (index >= arguments.Count)
            {
                throw new ConditionException(close.Column, $"{usage}: missing argument {index + 1}");
            }

            Expect(arguments[index].Node, ValueKind.Number, $"{function.Name}()");
            series.Add(arguments[index].Node);
        }

        var parameters = new List<decimal>();
        foreach (var (parameter, fallback) in function.Parameters)
        {
            if (index < arguments.Count)
            {
                var node = arguments[index].Node;
                if (node is not NumberLiteral { Value: var value })
                {
                    throw new ConditionException(arguments[index].Start.Column, $"{usage}: {parameter} must be a number written out, not '{node.Text}'");
                }

                if (parameter != "k" && (value != decimal.Truncate(value) || value < (function.Name == "ref" ? 0 : 1) || value > 5_000))
                {
                    throw new ConditionException(arguments[index].Start.Column, $"{usage}: {parameter} must be a whole number from {(function.Name == "ref" ? 0 : 1)} to 5000, not {value}");
                }

                if (parameter == "k" && value <= 0)
                {
                    throw new ConditionException(arguments[index].Start.Column, $"{usage}: k must be positive, not {value}");
                }

                parameters.Add(value);
                index++;
            }
            else if (fallback is { } d)
            {
                parameters.Add(d);
            }
            else
            {
                throw new ConditionException(close.Column, $"{usage}: missing {parameter}");
            }
        }

        if (index < arguments.Count)
        {
            throw new ConditionException(arguments[index].Start.Column, $"{usage}: too many arguments");
        }

        if (function.Name is ("macd" or "macd_signal" or "macd_hist") && parameters[0] >= parameters[1])
        {
            throw new ConditionException(name.Column, $"{usage}: fast ({parameters[0]}) must be shorter than slow ({parameters[1]})");
        }

        return new CallNode(name.Column, function.Name, series, parameters, investor, function.Result);
    }

    private static string Usage(ConditionFunction f)
    {
        var parts = new List<string>();
        if (f.TakesInvestor)
        {
            parts.Add("type");
        }

        parts.AddRange(f.Series switch { 0 => [], 1 => ["x"], _ => ["a", "b"] });
        parts.AddRange(f.Parameters.Select(p => p.Default is { } d ? $"{p.Name}={d}" : p.Name));
        return $"{f.Name}({string.Join(", ", parts)})";
    }
}
