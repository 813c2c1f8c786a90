<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="csrf-token" content="{{ csrf_token() }}">
<title>Resident bank</title>
<style>body{font-family:sans-serif;max-width:44em;margin:2em auto}table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}form{display:inline}</style>
</head>
<body>
<h1>Resident bank</h1>
<p>{{ count($accounts) }} accounts, read from residentd's memory.</p>
<table>
<tr><th>Name</th><th>Balance</th><th>Increase</th></tr>
@foreach ($accounts as $account)
<tr>
  <td>{{ $account->name }}</td>
  <td class="n">{{ $account->balance }}</td>
  <td>
  @foreach ([10, 100] as $amount)
    <form method="post" action="/accounts/{{ $account->uuid }}/increase/{{ $amount }}" data-then-reload>@csrf<button>+{{ $amount }}</button></form>
  @endforeach
  </td>
</tr>
@endforeach
</table>
<h2>Open an account</h2>
<form method="post" action="/accounts">@csrf<input name="name" placeholder="Name" required> <button>Open</button></form>
@error('name')<p>{{ $message }}</p>@enderror
<script>
// BalanceController::increase() answers with an empty page: send its forms in the
// background and show the list again.
document.querySelectorAll('form[data-then-reload]').forEach(form => form.addEventListener('submit', event => {
    event.preventDefault();
    fetch(form.action, {method: 'POST', body: new FormData(form)}).then(() => location.reload());
}));
</script>
</body>
</html>
