<?php use Bench\Http\Shared\View; /** @var object $account */ ?>
<h1><?= View::e($account->name) ?></h1>
<p>Balance: <strong id="balance"><?= View::e($account->balance) ?></strong></p>
<form method="post" action="/accounts/<?= View::e($account->uuid) ?>/increase">
  <input name="amount" type="number" min="1" value="10" required> <button>Increase</button>
</form>
<form method="post" action="/transfers">
  <input type="hidden" name="from" value="<?= View::e($account->uuid) ?>">
  <input name="to" placeholder="To account (uuid)" required>
  <input name="amount" type="number" min="1" value="10" required> <button>Transfer</button>
</form>
