/* The lexer of Go's text/template (parse/lex.go), state for state: the
 * parser's errors quote its items and lines, so it must cut the text where
 * Go cuts it, trim markers ({{- -}}) included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl_int.h"

#define EOF_RUNE 0xFFFFFFFFu

enum state {
    S_DONE, /* an item is ready */
    S_TEXT,
    S_LEFT_DELIM,
    S_COMMENT,
    S_RIGHT_DELIM,
    S_INSIDE,
    S_SPACE,
    S_IDENT,
    S_FIELD,
    S_VARIABLE,
    S_CHAR,
    S_NUMBER,
    S_QUOTE,
    S_RAW_QUOTE,
};

void gt_lex_init(struct gt_lexer *l, const char *input, size_t len)
{
    memset(l, 0, sizeof *l);
    l->input = input;
    l->len = len;
    l->line = 1;
    l->start_line = 1;
}

static uint32_t next(struct gt_lexer *l)
{
    if (l->pos >= l->len) {
        l->at_eof = true;
        return EOF_RUNE;
    }
    size_t w;
    uint32_t r = gt_utf8_decode(l->input + l->pos, l->len - l->pos, &w);
    l->pos += w;
    if (r == '\n')
        l->line++;
    return r;
}

/* Steps back one rune, as utf8.DecodeLastRuneInString sees it. */
static void backup(struct gt_lexer *l)
{
    if (l->at_eof || l->pos == 0)
        return;
    size_t w = 1;
    for (size_t k = 2; k <= 4 && k <= l->pos; k++) {
        size_t dw;
        gt_utf8_decode(l->input + l->pos - k, k, &dw);
        if (dw == k && (unsigned char)l->input[l->pos - k] >= 0xC0) {
            w = k;
            break;
        }
    }
    l->pos -= w;
    if (w == 1 && l->input[l->pos] == '\n')
        l->line--;
}

static uint32_t peek(struct gt_lexer *l)
{
    uint32_t r = next(l);
    backup(l);
    return r;
}

static bool has_prefix(const struct gt_lexer *l, size_t at, const char *p)
{
    size_t n = strlen(p);
    return at <= l->len && l->len - at >= n && memcmp(l->input + at, p, n) == 0;
}

static bool is_space(uint32_t r)
{
    return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static bool is_alnum(uint32_t r)
{
    return r == '_' || (r != EOF_RUNE && (gt_is_letter(r) || gt_is_digit(r)));
}

static size_t count_newlines(const struct gt_lexer *l, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += l->input[i] == '\n';
    return n;
}

static void ignore(struct gt_lexer *l)
{
    l->line += (int)count_newlines(l, l->start, l->pos);
    l->start = l->pos;
    l->start_line = l->line;
}

static struct gt_item this_item(struct gt_lexer *l, enum gt_item_type t)
{
    struct gt_item i = {t, l->start, {l->input + l->start, l->pos - l->start}, l->start_line};
    l->start = l->pos;
    l->start_line = l->line;
    return i;
}

static enum state emit_item(struct gt_lexer *l, struct gt_item i)
{
    l->item = i;
    return S_DONE;
}

static enum state emit(struct gt_lexer *l, enum gt_item_type t)
{
    return emit_item(l, this_item(l, t));
}

/* An error item, after which the input reads as empty (Go's errorf). */
static enum state error_msg(struct gt_lexer *l, const char *msg, size_t n)
{
    if (n >= sizeof l->errbuf)
        n = sizeof l->errbuf - 1;
    memcpy(l->errbuf, msg, n);
    l->errbuf[n] = '\0';
    l->item = (struct gt_item){IT_ERROR, l->start, {l->errbuf, n}, l->start_line};
    l->start = l->pos = l->len = 0;
    return S_DONE;
}

static enum state error_str(struct gt_lexer *l, const char *msg)
{
    return error_msg(l, msg, strlen(msg));
}

/* "prefix %#U", as in "bad character U+002D '-'". */
static enum state error_rune(struct gt_lexer *l, const char *prefix, uint32_t r)
{
    char msg[96];
    char enc[5] = {0};
    int n;
    if (r == EOF_RUNE) /* Go prints rune(-1) so */
        n = snprintf(msg, sizeof msg, "%sU+FFFFFFFFFFFFFFFF", prefix);
    else if (gt_is_print(r))
        n = snprintf(msg, sizeof msg, "%sU+%04X '%.*s'", prefix, r, (int)gt_utf8_encode(enc, r),
                     enc);
    else
        n = snprintf(msg, sizeof msg, "%sU+%04X", prefix, r);
    return error_msg(l, msg, (size_t)n);
}

static size_t right_trim_length(const struct gt_lexer *l, size_t from, size_t to)
{
    size_t end = to;
    while (end > from && strchr(" \t\r\n", l->input[end - 1]) != NULL)
        end--;
    return to - end;
}

static size_t left_trim_length(const struct gt_lexer *l, size_t from)
{
    size_t i = from;
    while (i < l->len && strchr(" \t\r\n", l->input[i]) != NULL)
        i++;
    return i - from;
}

static bool has_left_trim_marker(const struct gt_lexer *l, size_t at)
{
    return at + 2 <= l->len && l->input[at] == '-' && is_space((unsigned char)l->input[at + 1]);
}

static bool has_right_trim_marker(const struct gt_lexer *l, size_t at)
{
    return at + 2 <= l->len && is_space((unsigned char)l->input[at]) && l->input[at + 1] == '-';
}

static bool at_right_delim(const struct gt_lexer *l, bool *trim)
{
    *trim = false;
    if (has_right_trim_marker(l, l->pos) && has_prefix(l, l->pos + 2, "}}")) {
        *trim = true;
        return true;
    }
    return has_prefix(l, l->pos, "}}");
}

static enum state lex_text(struct gt_lexer *l)
{
    const char *hit = l->len > l->pos ? memmem(l->input + l->pos, l->len - l->pos, "{{", 2) : NULL;
    if (hit != NULL) {
        size_t x = (size_t)(hit - (l->input + l->pos));
        if (x > 0) {
            l->pos += x;
            size_t trim = 0;
            if (has_left_trim_marker(l, l->pos + 2))
                trim = right_trim_length(l, l->start, l->pos);
            l->pos -= trim;
            l->line += (int)count_newlines(l, l->start, l->pos);
            struct gt_item i = this_item(l, IT_TEXT);
            l->pos += trim;
            ignore(l);
            if (i.val.n > 0)
                return emit_item(l, i);
        }
        return S_LEFT_DELIM;
    }
    l->pos = l->len;
    if (l->pos > l->start) {
        l->line += (int)count_newlines(l, l->start, l->pos);
        return emit(l, IT_TEXT);
    }
    return emit(l, IT_EOF);
}

static enum state lex_left_delim(struct gt_lexer *l)
{
    l->pos += 2;
    size_t after = has_left_trim_marker(l, l->pos) ? 2 : 0;
    if (has_prefix(l, l->pos + after, "/*")) {
        l->pos += after;
        ignore(l);
        return S_COMMENT;
    }
    struct gt_item i = this_item(l, IT_LDELIM);
    l->inside_action = true;
    l->pos += after;
    ignore(l);
    l->paren_depth = 0;
    return emit_item(l, i);
}

static enum state lex_comment(struct gt_lexer *l)
{
    l->pos += 2;
    const char *end = memmem(l->input + l->pos, l->len - l->pos, "*/", 2);
    if (end == NULL)
        return error_str(l, "unclosed comment");
    l->pos = (size_t)(end - l->input) + 2;
    bool trim;
    if (!at_right_delim(l, &trim))
        return error_str(l, "comment ends before closing delimiter");
    l->line += (int)count_newlines(l, l->start, l->pos);
    this_item(l, IT_COMMENT); /* comments are not kept */
    if (trim)
        l->pos += 2;
    l->pos += 2;
    if (trim)
        l->pos += left_trim_length(l, l->pos);
    ignore(l);
    return S_TEXT;
}

static enum state lex_right_delim(struct gt_lexer *l)
{
    bool trim;
    at_right_delim(l, &trim);
    if (trim) {
        l->pos += 2;
        ignore(l);
    }
    l->pos += 2;
    struct gt_item i = this_item(l, IT_RDELIM);
    if (trim) {
        l->pos += left_trim_length(l, l->pos);
        ignore(l);
    }
    l->inside_action = false;
    return emit_item(l, i);
}

static enum state lex_inside(struct gt_lexer *l)
{
    bool trim;
    if (at_right_delim(l, &trim)) {
        if (l->paren_depth == 0)
            return S_RIGHT_DELIM;
        return error_str(l, "unclosed left paren");
    }
    uint32_t r = next(l);
    if (r == EOF_RUNE)
        return error_str(l, "unclosed action");
    if (is_space(r)) {
        backup(l); /* put the space back in case we have " -}}" */
        return S_SPACE;
    }
    switch (r) {
    case '=':
        return emit(l, IT_ASSIGN);
    case ':':
        if (next(l) != '=')
            return error_str(l, "expected :=");
        return emit(l, IT_DECLARE);
    case '|':
        return emit(l, IT_PIPE);
    case '"':
        return S_QUOTE;
    case '`':
        return S_RAW_QUOTE;
    case '$':
        return S_VARIABLE;
    case '\'':
        return S_CHAR;
    case '(':
        l->paren_depth++;
        return emit(l, IT_LPAREN);
    case ')':
        l->paren_depth--;
        if (l->paren_depth < 0)
            return error_str(l, "unexpected right paren");
        return emit(l, IT_RPAREN);
    case '.':
        /* ".field", unless a digit follows: '.' can start a number */
        if (l->pos < l->len && (l->input[l->pos] < '0' || l->input[l->pos] > '9'))
            return S_FIELD;
        backup(l);
        return S_NUMBER;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        backup(l);
        return S_NUMBER;
    }
    if (is_alnum(r)) {
        backup(l);
        return S_IDENT;
    }
    if (r < 0x80 && gt_is_print(r))
        return emit(l, IT_CHAR);
    return error_rune(l, "unrecognized character in action: ", r);
}

static enum state lex_space(struct gt_lexer *l)
{
    int spaces = 0;
    while (is_space(peek(l))) {
        next(l);
        spaces++;
    }
    /* a trim-marked right delimiter starts with a space */
    if (has_right_trim_marker(l, l->pos - 1) && has_prefix(l, l->pos + 1, "}}")) {
        backup(l);
        if (spaces == 1)
            return S_RIGHT_DELIM;
    }
    return emit(l, IT_SPACE);
}

/* After an identifier: a space, an operator, a delimiter or the end. */
static bool at_terminator(struct gt_lexer *l)
{
    uint32_t r = peek(l);
    if (is_space(r))
        return true;
    switch (r) {
    case EOF_RUNE:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
        return true;
    }
    return has_prefix(l, l->pos, "}}");
}

static const struct {
    const char *word;
    enum gt_item_type typ;
} keywords[] = {
    {"block", IT_BLOCK},
    {"break", IT_BREAK},
    {"continue", IT_CONTINUE},
    {"define", IT_DEFINE},
    {"else", IT_ELSE},
    {"end", IT_END},
    {"if", IT_IF},
    {"range", IT_RANGE},
    {"nil", IT_NIL},
    {"template", IT_TEMPLATE},
    {"with", IT_WITH},
};

static enum state lex_identifier(struct gt_lexer *l)
{
    uint32_t r;
    while (is_alnum(r = next(l))) {
    }
    backup(l);
    if (!at_terminator(l))
        return error_rune(l, "bad character ", r);
    const char *word = l->input + l->start;
    size_t n = l->pos - l->start;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, word, n) == 0)
            return emit(l, keywords[i].typ);
    if ((n == 4 && memcmp(word, "true", 4) == 0) || (n == 5 && memcmp(word, "false", 5) == 0))
        return emit(l, IT_BOOL);
    return emit(l, IT_IDENT);
}

static enum state lex_field_or_variable(struct gt_lexer *l, enum gt_item_type typ)
{
    if (at_terminator(l)) /* nothing follows: "." or "$" */
        return emit(l, typ == IT_VARIABLE ? IT_VARIABLE : IT_DOT);
    uint32_t r;
    while (is_alnum(r = next(l))) {
    }
    backup(l);
    if (!at_terminator(l))
        return error_rune(l, "bad character ", r);
    return emit(l, typ);
}

static enum state lex_char(struct gt_lexer *l)
{
    for (;;) {
        uint32_t r = next(l);
        if (r == '\\') {
            r = next(l);
            if (r != EOF_RUNE && r != '\n')
                continue;
        }
        if (r == EOF_RUNE || r == '\n')
            return error_str(l, "unterminated character constant");
        if (r == '\'')
            return emit(l, IT_CHARCONST);
    }
}

static bool accept(struct gt_lexer *l, const char *valid)
{
    uint32_t r = next(l);
    if (r != EOF_RUNE && r != 0 && r < 0x80 && strchr(valid, (int)r) != NULL)
        return true;
    backup(l);
    return false;
}

static void accept_run(struct gt_lexer *l, const char *valid)
{
    while (accept(l, valid)) {
    }
}

static bool scan_number(struct gt_lexer *l)
{
    accept(l, "+-");
    const char *digits = "0123456789_";
    if (accept(l, "0")) {
        /* a leading 0 does not mean octal in floats */
        if (accept(l, "xX"))
            digits = "0123456789abcdefABCDEF_";
        else if (accept(l, "oO"))
            digits = "01234567_";
        else if (accept(l, "bB"))
            digits = "01_";
    }
    accept_run(l, digits);
    if (accept(l, "."))
        accept_run(l, digits);
    if (strlen(digits) == 11 && accept(l, "eE")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    if (strlen(digits) == 23 && accept(l, "pP")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    accept(l, "i");
    if (is_alnum(peek(l))) {
        next(l);
        return false;
    }
    return true;
}

static enum state bad_number(struct gt_lexer *l)
{
    struct gt_buf b = {.max = sizeof l->errbuf - 1};
    char msg[sizeof l->errbuf];
    size_t n = 0;
    if (gt_buf_puts(&b, "bad number syntax: ") == 0 &&
        gt_quote(&b, (struct gt_str){l->input + l->start, l->pos - l->start}, false) == 0)
        n = b.len;
    if (n > 0)
        memcpy(msg, b.p, n);
    free(b.p);
    if (n == 0)
        return error_str(l, "bad number syntax");
    return error_msg(l, msg, n);
}

static enum state lex_number(struct gt_lexer *l)
{
    if (!scan_number(l))
        return bad_number(l);
    uint32_t sign = peek(l);
    if (sign == '+' || sign == '-') {
        /* complex: 1+2i, no spaces, must end in 'i' */
        if (!scan_number(l) || l->input[l->pos - 1] != 'i')
            return bad_number(l);
        return emit(l, IT_COMPLEX);
    }
    return emit(l, IT_NUMBER);
}

static enum state lex_quote(struct gt_lexer *l)
{
    for (;;) {
        uint32_t r = next(l);
        if (r == '\\') {
            r = next(l);
            if (r != EOF_RUNE && r != '\n')
                continue;
        }
        if (r == EOF_RUNE || r == '\n')
            return error_str(l, "unterminated quoted string");
        if (r == '"')
            return emit(l, IT_STRING);
    }
}

static enum state lex_raw_quote(struct gt_lexer *l)
{
    for (;;) {
        uint32_t r = next(l);
        if (r == EOF_RUNE)
            return error_str(l, "unterminated raw quoted string");
        if (r == '`')
            return emit(l, IT_RAWSTRING);
    }
}

struct gt_item gt_lex_next(struct gt_lexer *l)
{
    l->item = (struct gt_item){IT_EOF, l->pos, {"EOF", 3}, l->start_line};
    enum state s = l->inside_action ? S_INSIDE : S_TEXT;
    while (s != S_DONE) {
        switch (s) {
        case S_TEXT:
            s = lex_text(l);
            break;
        case S_LEFT_DELIM:
            s = lex_left_delim(l);
            break;
        case S_COMMENT:
            s = lex_comment(l);
            break;
        case S_RIGHT_DELIM:
            s = lex_right_delim(l);
            break;
        case S_INSIDE:
            s = lex_inside(l);
            break;
        case S_SPACE:
            s = lex_space(l);
            break;
        case S_IDENT:
            s = lex_identifier(l);
            break;
        case S_FIELD:
            s = lex_field_or_variable(l, IT_FIELD);
            break;
        case S_VARIABLE:
            s = lex_field_or_variable(l, IT_VARIABLE);
            break;
        case S_CHAR:
            s = lex_char(l);
            break;
        case S_NUMBER:
            s = lex_number(l);
            break;
        case S_QUOTE:
            s = lex_quote(l);
            break;
        case S_RAW_QUOTE:
            s = lex_raw_quote(l);
            break;
        case S_DONE:
            break;
        }
    }
    return l->item;
}
