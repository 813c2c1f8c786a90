<?php use App\View; /** @var list<App\Account> $accounts */ ?>
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Resident bank</title>
<style>body{font-family:sans-serif;max-width:44em;margin:2em auto}table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}</style>
</head>
<body>
<h1>Resident bank</h1>
<p><?= View::e($count) ?> accounts, read from residentd's memory.</p>
<table>
<tr><th>Name</th><th>Balance</th><th>Increase</th></tr>
<?php foreach ($accounts as $account): ?>
<tr>
  <td><?= View::e($account->name) ?></td>
  <td class="n"><?= View::e($account->balance) ?></td>
  <td><form method="post" action="/accounts/<?= View::e($account->uuid) ?>/increase">
    <input name="amount" type="number" min="1" value="10" required> <button>Increase</button></form></td>
</tr>
<?php endforeach ?>
</table>
<h2>Open an account</h2>
<form method="post" action="/accounts"><input name="name" placeholder="Name" required> <button>Open</button></form>
</body>
</html>
