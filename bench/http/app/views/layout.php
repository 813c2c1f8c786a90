<?php use Bench\Http\Shared\View; /** @var string $title @var string $body */ ?>
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title><?= View::e($title) ?> · Bank</title>
<style>body{font-family:sans-serif;max-width:44em;margin:2em auto}table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}</style>
</head>
<body>
<p><a href="/accounts">Accounts</a></p>
<?= $body ?>
</body>
</html>
