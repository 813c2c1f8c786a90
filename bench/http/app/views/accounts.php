<?php use Bench\Http\Shared\View; /** @var list<object> $accounts @var int $count @var int $page @var int $pages */ ?>
<h1>Accounts</h1>
<p><span id="count"><?= View::e($count) ?></span> accounts, page <?= View::e($page) ?> of <?= View::e($pages) ?>.</p>
<table>
<tr><th>Name</th><th>Balance</th></tr>
<?php foreach ($accounts as $account): ?>
<tr data-uuid="<?= View::e($account->uuid) ?>"><td><a href="/accounts/<?= View::e($account->uuid) ?>"><?= View::e($account->name) ?></a></td><td class="n"><?= View::e($account->balance) ?></td></tr>
<?php endforeach ?>
</table>
<p><?php if ($page > 1): ?><a href="/accounts?page=<?= $page - 1 ?>">Previous</a><?php endif ?>
<?php if ($page < $pages): ?><a href="/accounts?page=<?= $page + 1 ?>">Next</a><?php endif ?></p>
