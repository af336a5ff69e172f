"""Bash text -> raw simple commands, with tree-sitter-bash; the conservative splitter of
shell_words.py when the text does not parse (unbalanced quotes, truncated here-docs).

A raw command is what the shell would run: its words with quotes removed, the assignments
and redirections written with it, how it was reached (top level, a pipeline stage fed by an
earlier command, a command substitution, a process substitution) and the directory an
earlier `cd` left the script in. `shell.py` turns raw commands into SimpleCommands
(wrappers removed, nested `sh -c` strings parsed).
"""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from .shell_words import (ESCAPE_IN_STRING, MAX_COMMANDS, Raw, Redirect, Walk, changed_dir,
                          split_conservatively, words_of)


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


_COMPOUND = frozenset({"program", "list", "compound_statement", "do_group", "if_statement",
                       "elif_clause", "else_clause", "while_statement", "for_statement",
                       "c_style_for_statement", "case_statement", "case_item",
                       "negated_command", "function_definition", "until_statement"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_SUBSTITUTIONS = {"command_substitution": "substitution",
                  "process_substitution": "process-substitution"}
_ESCAPE_IN_WORD = re.compile(r"\\(.)", re.DOTALL)
_ANSI_C = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
           "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "0": "\0"}


def walk(text: str) -> Walk:
    """Read bash text; on a syntax error, fall back to the conservative splitter."""
    source = text.encode("utf-8", "surrogatepass")
    tree = _parser().parse(source if text.isascii() else _safe_bytes(text))
    if tree.root_node.has_error:
        result = split_conservatively(text)
        result.problems.insert(0, "the shell text has a syntax error")
        return result
    walker = _Walker(source)
    walker.statement(tree.root_node, "top", None)
    return Walk(walker.out, walker.cwd, walker.exports, walker.problems)


# tree-sitter-bash 0.25.1 crashes the process on some characters outside the Basic
# Multilingual Plane after `{` (U+2C744, U+9C6CF, U+BAC17, ...): the parser is given
# underscores of the same byte length instead (always word characters; offsets unchanged),
# and the words are cut from the original bytes.
_UNSAFE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def _safe_bytes(text: str) -> bytes:
    return _UNSAFE.sub(lambda m: "_" * len(m.group(0).encode("utf-8", "surrogatepass")),
                       text).encode("utf-8", "surrogatepass")


class _Walker:
    def __init__(self, source: bytes):
        self.source = source
        self.out: list[Raw] = []
        self.cwd: str | None = None
        self.exports: dict[str, str] = {}
        self.problems: list[str] = []

    # ------------------------------------------------------------------ statements

    def statement(self, node: Node, via: str, stdin: int | None) -> tuple[int, int]:
        """Walk one statement; the range of command indices its top level produced."""
        start = len(self.out)
        kind = node.type
        if len(self.out) >= MAX_COMMANDS:
            if "too many commands" not in self.problems:
                self.problems.append("too many commands: read up to the limit")
            return start, start
        if kind == "command":
            self.command(node, via, stdin)
        elif kind == "pipeline":
            self.pipeline(node.named_children, via, stdin)
        elif kind == "redirected_statement":
            self.redirected(node, via, stdin)
        elif kind == "subshell":
            saved = self.cwd, dict(self.exports)
            self.children(node, via, stdin)
            self.cwd, self.exports = saved
        elif kind in _COMPOUND:
            self.children(node, via, stdin)
        elif kind == "declaration_command":
            self.declaration(node, via)
        elif kind in ("variable_assignment", "variable_assignments", "test_command",
                      "unset_command", "arithmetic_expansion"):
            self.substitutions_in(node, via, None)
        elif kind == "ERROR":
            self.problems.append("the shell text has a syntax error")
        return start, len(self.out)

    def children(self, node: Node, via: str, stdin: int | None) -> tuple[int, int]:
        """Walk the statements under a compound node; the range of the last one."""
        last = (len(self.out), len(self.out))
        for child in node.named_children:
            if child.type in ("comment", "word", "variable_name", "string", "raw_string",
                              "concatenation", "simple_expansion", "expansion", "number"):
                self.substitutions_in(child, via, None)
                continue
            last = self.statement(child, via, stdin)
        return last

    def pipeline(self, stages: list[Node], via: str, stdin: int | None) -> tuple[int, int]:
        """Walk pipeline stages; each stage reads what the previous one's last command
        wrote. Returns the range of the last stage."""
        feed = stdin
        last = (len(self.out), len(self.out))
        for stage in stages:
            if stage.type in ("|", "|&", "comment"):
                continue
            last = self.statement(stage, via, feed)
            if last[1] > last[0]:
                feed = self._last_top(*last)
        return last

    def _last_top(self, start: int, end: int) -> int:
        for index in range(end - 1, start - 1, -1):
            if self.out[index].via not in _SUBSTITUTIONS.values():
                return index
        return end - 1

    def redirected(self, node: Node, via: str, stdin: int | None) -> None:
        body = node.child_by_field_name("body")
        redirects: list[Redirect] = []
        continuations: list[Node] = []
        for child in node.children_by_field_name("redirect"):
            redirects += self.redirect(child, continuations)
        if body is None:
            return
        gap = self._gap(body, node.children_by_field_name("redirect"))
        if body.type == "pipeline":
            target = self.pipeline(body.named_children, via, stdin)
        elif body.type in ("list", "program"):
            target = self.children(body, via, stdin)
        else:
            target = self.statement(body, via, stdin)
        self._attach(redirects, *target)
        if gap and target[1] > target[0]:
            last = self.out[self._last_top(*target)]
            last.words.extend(w for w, _ in gap)
            last.literal.extend(True for _ in gap)
        if continuations:
            feed = self._last_top(*target) if target[1] > target[0] else None
            for continuation in continuations:
                self.continuation(continuation, via, feed)

    def _gap(self, body: Node, redirects: list[Node]) -> list[tuple[str, bool]]:
        """Words between the body and the first redirect that the grammar dropped (it
        loses the `-` of `python3 - <<EOF`)."""
        if not redirects or redirects[0].start_byte <= body.end_byte:
            return []
        between = self.source[body.end_byte:redirects[0].start_byte].decode("utf-8", "replace")
        return words_of(between) if between.strip() else []

    def continuation(self, node: Node, via: str, feed: int | None) -> None:
        """What follows a here-doc start on its line: `| cmd` or `&& cmd`."""
        if node.type == "pipeline" and node.children and node.children[0].type in ("|", "|&"):
            self.pipeline(node.named_children, via, feed)
        else:
            self.statement(node, via, None)

    def _attach(self, redirects: list[Redirect], start: int, end: int) -> None:
        if not redirects or end <= start:
            return
        own = [i for i in range(start, end) if self.out[i].via not in _SUBSTITUTIONS.values()]
        for index in own or [end - 1]:
            self.out[index].redirects.extend(redirects)

    def declaration(self, node: Node, via: str) -> None:
        exported = node.children[0].type == "export" if node.children else False
        for child in node.named_children:
            if child.type == "variable_assignment":
                name, value = self.assignment(child, via)
                if exported and name:
                    self.exports[name] = value
            else:
                self.substitutions_in(child, via, None)

    # ------------------------------------------------------------------ commands

    def command(self, node: Node, via: str, stdin: int | None) -> None:
        env: list[tuple[str, str]] = []
        words: list[str] = []
        literal: list[bool] = []
        redirects: list[Redirect] = []
        nested: list[int] = []
        for child in node.named_children:
            kind = child.type
            if kind == "variable_assignment":
                before = len(self.out)
                env.append(self.assignment(child, via))
                nested += range(before, len(self.out))
            elif kind in _REDIRECTS:
                redirects += self.redirect(child, [])
            elif kind == "comment":
                continue
            else:
                before = len(self.out)
                text, plain = self.word(child, via)
                nested += range(before, len(self.out))
                words.append(text)
                literal.append(plain)
        if not words:
            return
        if self.exports:
            env = list(self.exports.items()) + env
        raw = Raw(words, literal, env, redirects, via, stdin, None, self.cwd)
        self.out.append(raw)
        index = len(self.out) - 1
        for position in nested:
            if self.out[position].parent is None:
                self.out[position].parent = index
        if raw.words[0] in ("cd", "pushd") and via != "substitution":
            self.cwd = changed_dir(self.cwd, raw.words[1:])

    def assignment(self, node: Node, via: str) -> tuple[str, str]:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        text = self.word(value, via)[0] if value is not None else ""
        return (self._text(name) if name is not None else ""), text

    def redirect(self, node: Node, continuations: list[Node]) -> list[Redirect]:
        kind = node.type
        fd_node = node.child_by_field_name("descriptor")
        fd = int(self._text(fd_node)) if fd_node is not None and self._text(fd_node).isdigit() \
            else None
        if kind == "herestring_redirect":
            value = node.named_children[-1] if node.named_children else None
            body = self.word(value, "substitution")[0] if value is not None else ""
            return [Redirect("<<<", fd, None, body)]
        if kind == "heredoc_redirect":
            return self._heredoc(node, fd, continuations)
        op = next((c.type for c in node.children if not c.is_named), ">")
        dest = node.child_by_field_name("destination")
        target = self.word(dest, "substitution")[0] if dest is not None else None
        if op in (">&", "<&") and target is not None and (target.isdigit() or target == "-"):
            target = None
        return [Redirect(op, fd, target)]

    def _heredoc(self, node: Node, fd: int | None,
                 continuations: list[Node]) -> list[Redirect]:
        body = ""
        found: list[Redirect] = []
        for child in node.named_children:
            kind = child.type
            if kind == "heredoc_body":
                body += self._text(child)
            elif kind in _REDIRECTS:
                found += self.redirect(child, continuations)
            elif kind not in ("heredoc_start", "heredoc_end"):
                continuations.append(child)
        return [Redirect("<<", fd, None, body)] + found

    # ------------------------------------------------------------------ words

    def word(self, node: Node, via: str) -> tuple[str, bool]:
        """The text of a word with quotes removed, and whether it is literal (no expansion).
        Command and process substitutions inside are walked as commands of their own."""
        kind = node.type
        if kind in ("word", "number", "command_name"):
            if kind == "command_name" and node.named_children:
                return self.word(node.named_children[0], via)
            text = self._text(node)
            return (_ESCAPE_IN_WORD.sub(r"\1", text) if "\\" in text else text), True
        if kind == "raw_string":
            return self._text(node)[1:-1], True
        if kind == "string":
            self.substitutions_in(node, via, None)
            inner = self._text(node)[1:-1]
            plain = not any(c.type in ("simple_expansion", "expansion", "command_substitution",
                                       "arithmetic_expansion") for c in node.named_children)
            return ESCAPE_IN_STRING.sub(r"\1", inner), plain
        if kind == "ansi_c_string":
            return _ansi_c(self._text(node)[2:-1]), True
        if kind == "concatenation":
            parts = [self.word(child, via) for child in node.children]
            return "".join(p[0] for p in parts), all(p[1] for p in parts)
        if kind in _SUBSTITUTIONS:
            self.substitution(node, via)
        elif kind in ("simple_expansion", "expansion", "arithmetic_expansion",
                      "translated_string", "brace_expression"):
            self.substitutions_in(node, via, None)
        return self._text(node), kind == "brace_expression"

    def substitution(self, node: Node, via: str) -> None:
        saved = self.cwd, dict(self.exports)
        feed = None
        for child in node.named_children:
            self.statement(child, _SUBSTITUTIONS[node.type], feed)
        self.cwd, self.exports = saved

    def substitutions_in(self, node: Node, via: str, stdin: int | None) -> None:
        for child in node.named_children:
            if child.type in _SUBSTITUTIONS:
                self.substitution(child, via)
            elif child.named_child_count:
                self.substitutions_in(child, via, stdin)

    def _text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _ansi_c(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "x" and re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:i + 4]):
                digits = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:i + 4]).group(0)
                out.append(chr(int(digits, 16)))
                i += 2 + len(digits)
                continue
            out.append(_ANSI_C.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
