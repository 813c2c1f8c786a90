<?php

declare(strict_types=1);

namespace Bench\Http\Shared;

/** What a route answers: a status, headers and a body, sent by send(). */
final class Response
{
    /** @param array<string, string> $headers */
    public function __construct(
        public readonly int $status,
        public readonly string $body = '',
        public readonly array $headers = [],
    ) {
    }

    /** Post/redirect/get: a write answers 303 to the page that shows its result. */
    public static function redirect(string $to): self
    {
        return new self(303, '', ['Location' => $to]);
    }

    public function send(): void
    {
        http_response_code($this->status);
        foreach ($this->headers as $name => $value) {
            header("$name: $value");
        }
        echo $this->body;
    }
}
