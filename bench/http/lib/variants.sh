# The three variants of the bank, in the order they are checked and measured, and how each
# is seeded. Source this file (after stack.sh).

VARIANTS=(resident eloquent stored-events)

variant_label() {
    case $1 in
        resident) echo "Resident" ;;
        eloquent) echo "Eloquent + PostgreSQL" ;;
        stored-events) echo "stored_events + PostgreSQL" ;;
    esac
}

# seed_variant VARIANT: loads the seed accounts into the variant's store (tools/seed.php).
seed_variant() {
    case $1 in
        resident) php -d extension="${EXTENSION:?}" "$STACK_HERE/tools/seed.php" resident ;;
        *) php "$STACK_HERE/tools/seed.php" "$1" ;;
    esac
}
