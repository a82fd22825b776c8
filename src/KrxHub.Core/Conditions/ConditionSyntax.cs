using System.Globalization;

namespace KrxHub.Core.Conditions;

/// <summary>A condition that does not parse or does not type-check: <see cref="Column"/> is 1-based in the expression text.</summary>
public sealed class ConditionException(int column, string problem)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"col {column}: {problem}"))
{
    public int Column { get; } = column;

    /// <summary>What is wrong, without the position.</summary>
    public string Problem { get; } = problem;
}

/// <summary>What an expression yields: a number (a series per stock), a truth value, or text (market, industry, code, name).</summary>
public enum ValueKind
{
    Number,
    Boolean,
    Text,
}

/// <summary>A node of a bound (type-checked) condition. <see cref="Text"/> is its canonical form: equal texts compute equal values.</summary>
public abstract record ConditionNode(int Column, ValueKind Kind)
{
    public abstract string Text { get; }

    public sealed override string ToString() => Text;
}

public sealed record NumberLiteral(int Column, decimal Value) : ConditionNode(Column, ValueKind.Number)
{
    public override string Text => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record TextLiteral(int Column, string Value) : ConditionNode(Column, ValueKind.Text)
{
    /// <summary>A word written without quotes (KOSDAQ): where a number is expected it is read as a misspelt field.</summary>
    public bool Bare { get; init; }

    public override string Text => Value;
}

/// <summary>A field of each stock: a daily series (open … value) or a text attribute (market, industry, code, name).</summary>
public sealed record FieldNode(int Column, string Name, ValueKind FieldKind) : ConditionNode(Column, FieldKind)
{
    public override string Text => Name;
}

public sealed record UnaryNode(int Column, string Operator, ConditionNode Operand) : ConditionNode(Column, Operand.Kind)
{
    public override string Text => Operator == "not" ? $"not ({Operand.Text})" : $"-({Operand.Text})";
}

public sealed record BinaryNode(int Column, string Operator, ConditionNode Left, ConditionNode Right, ValueKind ResultKind)
    : ConditionNode(Column, ResultKind)
{
    public override string Text => $"({Left.Text} {Operator} {Right.Text})";
}

public sealed record BetweenNode(int Column, ConditionNode Value, ConditionNode Low, ConditionNode High) : ConditionNode(Column, ValueKind.Boolean)
{
    public override string Text => $"({Value.Text} between {Low.Text} and {High.Text})";
}

/// <summary>A function call; <see cref="Arguments"/> are bound series, <see cref="Parameters"/> the constant parameters (periods, offsets, k).</summary>
public sealed record CallNode(int Column, string Name, IReadOnlyList<ConditionNode> Arguments, IReadOnlyList<decimal> Parameters, string? Investor, ValueKind ResultKind)
    : ConditionNode(Column, ResultKind)
{
    public override string Text
    {
        get
        {
            var parts = new List<string>();
            if (Investor is not null)
            {
                parts.Add(Investor);
            }

            parts.AddRange(Arguments.Select(a => a.Text));
            parts.AddRange(Parameters.Select(i => i.ToString(CultureInfo.InvariantCulture)));
            return $"{Name}({string.Join(", ", parts)})";
        }
    }
}

internal enum TokenKind
{
    Number,
    String,
    Identifier,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Column, decimal Number = 0m);

/// <summary>Splits an expression into tokens; columns are 1-based.</summary>
internal static class ConditionLexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var column = i + 1;
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.' || text[i] == '_'))
                {
                    i++;
                }

                var literal = text[start..i].Replace("_", string.Empty, StringComparison.Ordinal);
                if (!decimal.TryParse(literal, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                {
                    throw new ConditionException(column, $"'{text[start..i]}' is not a number");
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], column, value));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], column));
            }
            else if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, i + 1);
                if (end < 0)
                {
                    throw new ConditionException(column, $"text starting here has no closing {c}");
                }

                tokens.Add(new Token(TokenKind.String, text[(i + 1)..end], column));
                i = end + 1;
            }
            else if (c == '(' || c == ')' || c == ',')
            {
                tokens.Add(new Token(c == '(' ? TokenKind.LeftParen : c == ')' ? TokenKind.RightParen : TokenKind.Comma, c.ToString(), column));
                i++;
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : string.Empty;
                if (two is "==" or "!=" or "<=" or ">=")
                {
                    tokens.Add(new Token(TokenKind.Operator, two, column));
                    i += 2;
                }
                else if (c is '<' or '>' or '+' or '-' or '*' or '/' or '=')
                {
                    // A single '=' reads as '==': traders write "market = KOSDAQ".
                    tokens.Add(new Token(TokenKind.Operator, c == '=' ? "==" : c.ToString(), column));
                    i++;
                }
                else
                {
                    throw new ConditionException(column, $"unexpected character '{c}'");
                }
            }
        }

        tokens.Add(new Token(TokenKind.End, string.Empty, text.Length + 1));
        return tokens;
    }
}
