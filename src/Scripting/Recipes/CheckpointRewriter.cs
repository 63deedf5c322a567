using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Makes cancellation reach recipe code that never looks at its token: every loop body, labelled statement
/// (backward <c>goto</c>), method, local function, accessor, constructor and block-bodied lambda starts with a call to
/// <see cref="RecipeRuntime.__seg_checkpoint"/>, which throws <see cref="OperationCanceledException"/> once the run is cancelled.
/// </summary>
/// <remarks>
/// The call is inserted without line breaks so every original statement keeps its line: stack traces of a faulting
/// recipe still name the right recipe line. The checkpoint is a static call (not a globals member) because classes
/// and static local functions declared in a recipe cannot see the globals.
/// Diagnostics and the --restricted check run on the original tree, never on this one.
/// </remarks>
internal sealed class CheckpointRewriter : CSharpSyntaxRewriter
{
    internal const string CheckpointCall = "global::SegPlugins.Scripting.Recipes.RecipeRuntime.__seg_checkpoint()";

    public static SyntaxTree Instrument(SyntaxTree tree)
    {
        var root = new CheckpointRewriter().Visit(tree.GetRoot());
        return tree.WithRootAndOptions(root, tree.Options);
    }

    public static string Instrument(string text, string path)
    {
        var tree = CSharpSyntaxTree.ParseText(text, RecipeSource.ParseOptions, path);
        return new CheckpointRewriter().Visit(tree.GetRoot()).ToFullString();
    }

    private static StatementSyntax Check() =>
        ParseStatement(CheckpointCall + "; ").WithLeadingTrivia(Space).WithTrailingTrivia(Space);

    private static BlockSyntax Prepend(BlockSyntax block) =>
        block.WithStatements(block.Statements.Insert(0, Check()));

    /// <summary>Wraps a non-block statement as <c>{ check; stmt }</c> on the statement's own line.</summary>
    private static StatementSyntax Wrap(StatementSyntax body)
    {
        if (body is BlockSyntax b) return Prepend(b);
        var lead = body.GetLeadingTrivia();
        var trail = body.GetTrailingTrivia();
        var inner = body.WithoutLeadingTrivia().WithoutTrailingTrivia();
        return Block(List(new[] { Check(), inner }))
            .WithOpenBraceToken(Token(SyntaxKind.OpenBraceToken))
            .WithCloseBraceToken(Token(TriviaList(Space), SyntaxKind.CloseBraceToken, TriviaList()))
            .WithLeadingTrivia(lead)
            .WithTrailingTrivia(trail);
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var n = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var n = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var n = (ForStatementSyntax)base.VisitForStatement(node)!;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var n = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var n = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitLabeledStatement(LabeledStatementSyntax node)
    {
        var n = (LabeledStatementSyntax)base.VisitLabeledStatement(node)!;
        // A local declaration cannot be the body of a block-wrapped label without changing its scope.
        if (n.Statement is LocalDeclarationStatementSyntax or LocalFunctionStatementSyntax) return n;
        return n.WithStatement(Wrap(n.Statement));
    }

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var n = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        if (n.Body is { } body) return n.WithBody(Prepend(body));
        if (n.ExpressionBody is { } e)
            return n.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(ExpressionToBlock(e, IsVoidLike(n.ReturnType, n.Modifiers), n.SemicolonToken));
        return n;
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var n = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        if (n.Body is { } body) return n.WithBody(Prepend(body));
        if (n.ExpressionBody is { } e)
            return n.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(ExpressionToBlock(e, IsVoidLike(n.ReturnType, n.Modifiers), n.SemicolonToken));
        return n;
    }

    public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node)
    {
        var n = (ConstructorDeclarationSyntax)base.VisitConstructorDeclaration(node)!;
        return n.Body is { } body ? n.WithBody(Prepend(body)) : n;
    }

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var n = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        return n.Body is { } body ? n.WithBody(Prepend(body)) : n;
    }

    public override SyntaxNode? VisitOperatorDeclaration(OperatorDeclarationSyntax node)
    {
        var n = (OperatorDeclarationSyntax)base.VisitOperatorDeclaration(node)!;
        return n.Body is { } body ? n.WithBody(Prepend(body)) : n;
    }

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        var n = (ParenthesizedLambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!;
        return n.Block is { } body ? n.WithBlock(Prepend(body)) : n;
    }

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        var n = (SimpleLambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!;
        return n.Block is { } body ? n.WithBlock(Prepend(body)) : n;
    }

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        var n = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
        return n.WithBlock(Prepend(n.Block));
    }

    /// <summary>
    /// Syntax alone says whether <c>=&gt; e</c> returns a value: <c>void</c>, or <c>async Task</c>/<c>ValueTask</c>
    /// without a type argument, do not. Lambdas are left alone because their return type needs the semantic model;
    /// any loop inside them is still instrumented.
    /// </summary>
    private static bool IsVoidLike(TypeSyntax returnType, SyntaxTokenList modifiers)
    {
        if (returnType is PredefinedTypeSyntax p && p.Keyword.IsKind(SyntaxKind.VoidKeyword)) return true;
        if (!modifiers.Any(SyntaxKind.AsyncKeyword)) return false;
        string name = returnType switch
        {
            IdentifierNameSyntax i => i.Identifier.ValueText,
            QualifiedNameSyntax q when q.Right is IdentifierNameSyntax r => r.Identifier.ValueText,
            AliasQualifiedNameSyntax a when a.Name is IdentifierNameSyntax r2 => r2.Identifier.ValueText,
            _ => "",
        };
        return name is "Task" or "ValueTask";
    }

    private static BlockSyntax ExpressionToBlock(ArrowExpressionClauseSyntax arrow, bool isVoid, SyntaxToken semicolon)
    {
        var expr = arrow.Expression.WithoutTrivia();
        StatementSyntax stmt = isVoid
            ? ExpressionStatement(expr)
            : ReturnStatement(Token(TriviaList(), SyntaxKind.ReturnKeyword, TriviaList(Space)), expr, Token(SyntaxKind.SemicolonToken));
        return Block(List(new[] { Check(), stmt }))
            .WithOpenBraceToken(Token(arrow.ArrowToken.LeadingTrivia, SyntaxKind.OpenBraceToken, TriviaList()))
            .WithCloseBraceToken(Token(TriviaList(Space), SyntaxKind.CloseBraceToken, semicolon.TrailingTrivia));
    }
}
