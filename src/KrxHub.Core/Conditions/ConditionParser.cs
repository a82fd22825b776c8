namespace KrxHub.Core.Conditions;

/// <summary>
/// Parses and type-checks a condition. Hand-written recursive descent rather than a parser library: the grammar is
/// twelve lines, and owning the loop gives every error its exact column and a "did you mean" without fighting a
/// combinator library's error model.
/// <code>
/// condition  := or
/// or         := and ("or" and)*
/// and        := not ("and" not)*
/// not        := "not" not | comparison
/// comparison := sum [("==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") sum | "between" sum "and" sum]
/// sum        := product (("+" | "-") product)*
/// product    := unary (("*" | "/") unary)*
/// unary      := "-" unary | primary
/// primary    := number | text | field | word | function "(" [argument ("," argument)*] ")" | "(" condition ")"
/// </code>
/// </summary>
public sealed partial class ConditionParser
{
    private readonly List<Token> _tokens;
    private int _at;

    private ConditionParser(string text) => _tokens = ConditionLexer.Tokenize(text);

    /// <summary>The bound condition: a truth value per stock. Throws <see cref="ConditionException"/> with the column.</summary>
    public static ConditionNode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConditionException(1, "the condition is empty");
        }

        var parser = new ConditionParser(text);
        var node = parser.ParseOr();
        var end = parser.Peek;
        if (end.Kind != TokenKind.End)
        {
            throw new ConditionException(end.Column, $"expected 'and', 'or' or the end of the condition, found '{end.Text}'");
        }

        if (node.Kind != ValueKind.Boolean)
        {
            throw new ConditionException(node.Column, $"a condition must be true or false, but '{node.Text}' is a {KindName(node.Kind)}; compare it, e.g. '{node.Text} > 0'");
        }

        return node;
    }

    private Token Peek => _tokens[_at];

    private Token Next() => _tokens[_at++];

    private bool IsWord(string word) => Peek.Kind == TokenKind.Identifier && string.Equals(Peek.Text, word, StringComparison.OrdinalIgnoreCase);

    private ConditionNode ParseOr()
    {
        var left = ParseAnd();
        while (IsWord("or"))
        {
            var op = Next();
            left = Logical(op, left, ParseAnd());
        }

        return left;
    }

    private ConditionNode ParseAnd()
    {
        var left = ParseNot();
        while (IsWord("and"))
        {
            var op = Next();
            left = Logical(op, left, ParseNot());
        }

        return left;
    }

    private ConditionNode ParseNot()
    {
        if (IsWord("not"))
        {
            var op = Next();
            var operand = ParseNot();
            Expect(operand, ValueKind.Boolean, "'not'");
            return new UnaryNode(op.Column, "not", operand);
        }

        return ParseComparison();
    }

    private ConditionNode ParseComparison()
    {
        var left = ParseSum();
        if (IsWord("between"))
        {
            var op = Next();
            Expect(left, ValueKind.Number, "'between'");
            var low = ParseSum();
            Expect(low, ValueKind.Number, "'between'");
            if (!IsWord("and"))
            {
                throw new ConditionException(Peek.Column, $"expected 'and' after 'between {low.Text}', found {Describe(Peek)}");
            }

            Next();
            var high = ParseSum();
            Expect(high, ValueKind.Number, "'between … and'");
            return new BetweenNode(op.Column, left, low, high);
        }

        if (Peek.Kind != TokenKind.Operator || Peek.Text is not ("==" or "!=" or "<" or "<=" or ">" or ">="))
        {
            return left;
        }

        var comparison = Next();
        var right = ParseSum();
        if (left.Kind == ValueKind.Text || right.Kind == ValueKind.Text)
        {
            if (left.Kind != right.Kind)
            {
                var (text, other) = left.Kind == ValueKind.Text ? (left, right) : (right, left);
                if (text is TextLiteral { Bare: true })
                {
                    Expect(text, ValueKind.Number, $"'{comparison.Text}'");
                }

                throw new ConditionException(text.Column, $"'{text.Text}' is text and '{other.Text}' is a {KindName(other.Kind)}: they cannot be compared");
            }

            if (comparison.Text is not ("==" or "!="))
            {
                throw new ConditionException(comparison.Column, $"text ({(left is FieldNode ? left.Text : right.Text)}) can only be compared with == or !=");
            }

            if (left is not FieldNode && right is not FieldNode)
            {
                throw new ConditionException(left.Column, $"compare a text field (market, industry, code, name) with a value, not '{left.Text}' with '{right.Text}'");
            }

            return new BinaryNode(comparison.Column, comparison.Text, left, right, ValueKind.Boolean);
        }

        Expect(left, ValueKind.Number, $"'{comparison.Text}'");
        Expect(right, ValueKind.Number, $"'{comparison.Text}'");
        return new BinaryNode(comparison.Column, comparison.Text, left, right, ValueKind.Boolean);
    }

    private ConditionNode ParseSum()
    {
        var left = ParseProduct();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-")
        {
            var op = Next();
            var right = ParseProduct();
            Expect(left, ValueKind.Number, $"'{op.Text}'");
            Expect(right, ValueKind.Number, $"'{op.Text}'");
            left = new BinaryNode(op.Column, op.Text, left, right, ValueKind.Number);
        }

        return left;
    }

    private ConditionNode ParseProduct()
    {
        var left = ParseUnary();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/")
        {
            var op = Next();
            var right = ParseUnary();
            Expect(left, ValueKind.Number, $"'{op.Text}'");
            Expect(right, ValueKind.Number, $"'{op.Text}'");
            left = new BinaryNode(op.Column, op.Text, left, right, ValueKind.Number);
        }

        return left;
    }

    private ConditionNode ParseUnary()
    {
        if (Peek.Kind == TokenKind.Operator && Peek.Text == "-")
        {
            var op = Next();
            var operand = ParseUnary();
            Expect(operand, ValueKind.Number, "'-'");
            return operand is NumberLiteral n ? n with { Column = op.Column, Value = -n.Value } : new UnaryNode(op.Column, "-", operand);
        }

        return ParsePrimary();
    }

    private ConditionNode ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Number:
                return new NumberLiteral(token.Column, token.Number);
            case TokenKind.String:
                return new TextLiteral(token.Column, token.Text);
            case TokenKind.LeftParen:
                var inner = ParseOr();
                if (Peek.Kind != TokenKind.RightParen)
                {
                    throw new ConditionException(Peek.Column, $"expected ')' to close the '(' at col {token.Column}, found {Describe(Peek)}");
                }

                Next();
                return inner;
            case TokenKind.Identifier:
                return Peek.Kind == TokenKind.LeftParen ? ParseCall(token) : Word(token);
            default:
                throw new ConditionException(token.Column, $"expected a number, a field, a function or '(', found {Describe(token)}");
        }
    }

    private static ConditionNode Word(Token token)
    {
        var name = token.Text.ToLowerInvariant();
        if (ConditionLanguage.NumberFields.Contains(name))
        {
            return new FieldNode(token.Column, name, ValueKind.Number);
        }

        if (ConditionLanguage.TextFields.Contains(name))
        {
            return new FieldNode(token.Column, name, ValueKind.Text);
        }

        if (name is "and" or "or" or "not" or "between")
        {
            throw new ConditionException(token.Column, $"expected a value before '{token.Text}'");
        }

        // Any other word is text (KOSDAQ, an industry); a comparison with a text field accepts it, everything else refuses it.
        return new TextLiteral(token.Column, token.Text) { Bare = true };
    }

    private CallNode ParseCall(Token name)
    {
        var function = ConditionLanguage.Function(name.Text.ToLowerInvariant());
        if (function is null)
        {
            var known = ConditionLanguage.Functions.Select(f => f.Name).Concat(ConditionLanguage.NumberFields).Concat(ConditionLanguage.TextFields);
            var suggestion = ConditionLanguage.Closest(name.Text.ToLowerInvariant(), known);
            throw new ConditionException(name.Column, $"unknown function '{name.Text}'" + (suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?"));
        }

        Next(); // (
        var arguments = new List<(ConditionNode Node, Token Start)>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                var start = Peek;
                arguments.Add((ParseOr(), start));
                if (Peek.Kind == TokenKind.Comma)
                {
                    Next();
                    continue;
                }

                if (Peek.Kind != TokenKind.RightParen)
                {
                    throw new ConditionException(Peek.Column, $"expected ',' or ')' in the arguments of {function.Name}, found {Describe(Peek)}");
                }

                break;
            }
        }

        var close = Next();
        return Bind(function, name, arguments, close);
    }

    private static ConditionNode Logical(Token op, ConditionNode left, ConditionNode right)
    {
        var word = op.Text.ToLowerInvariant();
        Expect(left, ValueKind.Boolean, $"'{word}'");
        Expect(right, ValueKind.Boolean, $"'{word}'");
        return new BinaryNode(op.Column, word, left, right, ValueKind.Boolean);
    }

    private static void Expect(ConditionNode node, ValueKind kind, string where)
    {
        if (node.Kind == kind)
        {
            return;
        }

        if (node is TextLiteral { Bare: true } word && kind == ValueKind.Number)
        {
            var suggestion = ConditionLanguage.Closest(word.Value.ToLowerInvariant(), ConditionLanguage.NumberFields.Concat(ConditionLanguage.TextFields));
            throw new ConditionException(node.Column, $"unknown field '{word.Value}'" + (suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?"));
        }

        throw new ConditionException(node.Column, $"{where} needs a {KindName(kind)}, but '{node.Text}' is a {KindName(node.Kind)}");
    }

    private static string KindName(ValueKind kind) => kind switch
    {
        ValueKind.Number => "number",
        ValueKind.Boolean => "truth value",
        _ => "text",
    };

    private static string Describe(Token token) => token.Kind == TokenKind.End ? "the end of the condition" : $"'{token.Text}'";
}
